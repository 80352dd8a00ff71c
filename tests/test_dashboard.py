"""The classroom dashboard's model and app module, without a browser."""

import inspect

import numpy as np
import pytest

from simulation.scenario import load_scenario

dashboard = pytest.importorskip("simulation.dashboard")  # the viz extra (mesa[viz])


def test_four_lessons_each_with_what_to_watch_and_what_to_ask():
    titles = list(dashboard.lessons())
    assert titles[:3] == ["Why small creators sell", "What the algorithm does", "Trust and scandal"]
    assert "Where brand budgets go" in titles
    for path in dashboard.lessons().values():
        s = load_scenario(path)
        assert s.description and s.whatif.question, path.name


@pytest.mark.parametrize("title", ["Why small creators sell", "Trust and scandal"])
def test_a_lesson_model_has_the_lessons_parameters_and_steps(title):
    path = dashboard.lessons()[title]
    lesson = load_scenario(path)
    values = dashboard.lesson_values(lesson)
    model = dashboard.ClassroomEconomy(lesson=str(path), rng="3", **values)
    assert model.config.creators.scandal_rate == lesson.creators.scandal_rate
    assert model.config.population.n_fans == lesson.population.n_fans
    shares = {k: r.share for k, r in model.config.roles.items()}
    assert shares["KOC"] / sum(shares.values()) == pytest.approx(values["koc_share"])
    model.run_for(3)
    assert model.steps == 3 and len(model.datacollector.get_model_vars_dataframe()) == 3


def test_controls_are_the_models_keyword_parameters_and_move_it():
    path = dashboard.default_lesson()
    values = dashboard.lesson_values(load_scenario(path))
    params = dashboard.controls(values, path)
    signature = inspect.signature(dashboard.ClassroomEconomy.__init__).parameters
    assert set(params) <= set(signature)
    more_koc = dashboard.ClassroomEconomy(lesson=str(path), rng=1, **(values | {"koc_share": 0.8}))
    roles = more_koc.config.roles
    assert roles["KOC"].share / sum(r.share for r in roles.values()) == pytest.approx(0.8)
    capped = dashboard.ClassroomEconomy(lesson=str(path), rng=1, **(values | {"n_fans": 2000}))
    assert capped.config.population.n_creators == 100


def test_same_seed_same_market_and_the_network_sample_stays_small():
    path = dashboard.default_lesson()
    values = dashboard.lesson_values(load_scenario(path))
    a = dashboard.ClassroomEconomy(lesson=str(path), rng=5, **values)
    b = dashboard.ClassroomEconomy(lesson=str(path), rng=5, **values)
    a.run_for(5)
    b.run_for(5)
    assert np.array_equal(a.follows.trust, b.follows.trust)
    creators, fans, edges = dashboard.network_sample(a)
    assert creators.size <= dashboard.NETWORK_CREATORS and fans.size <= dashboard.NETWORK_FANS
    assert all(f in set(fans.tolist()) and c in set(creators.tolist()) for f, c in edges)


def test_every_chart_renders_a_picture_for_a_stepped_model():
    import ipywidgets
    import solara

    model = dashboard.ClassroomEconomy(rng=1, n_fans=1000)
    model.run_for(2)
    for chart in dashboard.CHARTS:
        _, rc = solara.render(chart(model), handle_error=False)
        (image,) = rc.find(ipywidgets.Image).widgets
        assert image.value[:4] == b"\x89PNG" and len(image.value) > 5_000, chart.__name__
        rc.close()


def test_dashboard_command_refuses_a_scenario_its_controls_cannot_drive(tmp_path, capsys):
    from simulation.cli import main

    path = tmp_path / "one_platform.toml"
    path.write_text("[platforms.foo]\nalgorithm = { interest = 1.0 }\n")
    assert main(["dashboard", str(path)]) == 2
    err = capsys.readouterr().err
    assert str(path) in err and "platforms" in err and "douyin" in err
    assert main(["dashboard", str(tmp_path / "missing.toml")]) == 2
    assert "not found" in capsys.readouterr().err
