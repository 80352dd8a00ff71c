"""The scenario loader: extends, validation, clear errors, and property-based checks."""

import tomllib

import pytest
from conftest import BASELINE, SMALL
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulation.scenario import FLAT_PARAMS, PARAM_SECTIONS, Scenario, ScenarioError, load_scenario


def write(tmp_path, text, name="s.toml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_baseline_documents_every_parameter():
    raw = tomllib.loads(BASELINE.read_text())
    for section, cls in PARAM_SECTIONS.items():
        missing = set(cls.model_fields) - set(raw[section])
        assert not missing, f"[{section}] lacks {missing}"
    assert set(raw["platforms"]) == {"douyin", "kuaishou", "xiaohongshu", "wechat_channels"}


def test_baseline_equals_code_defaults():
    # The model's keyword defaults and the committed (calibrated) baseline must not drift
    # apart: after `creator-sim calibrate --in-place`, copy its values into scenario.py.
    loaded = load_scenario(BASELINE).model_dump(exclude={"name", "source", "description"})
    assert loaded == Scenario().model_dump(exclude={"name", "source", "description"})


SHIPPED = sorted(
    p
    for p in (BASELINE.parent).rglob("*.toml")
    if "sweeps" not in p.relative_to(BASELINE.parent).parts
)


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(BASELINE.parent)))
def test_every_shipped_scenario_loads(path):
    """Every scenario file in scenarios/ (sweep files have their own loader) is valid."""
    scenario = load_scenario(path)
    assert scenario.description and scenario.population.n_fans > 0


def test_extends_overrides_only_what_it_changes(tmp_path):
    s = load_scenario(SMALL)
    base = load_scenario(BASELINE)
    assert s.name == "small"
    assert s.population.n_fans == 2000 and s.run.steps == 60
    assert s.trust == base.trust and s.platforms == base.platforms


def test_extends_merges_tables_key_by_key(tmp_path):
    write(tmp_path, f'extends = "{BASELINE}"\n[platforms.douyin]\npool_escalation = 2.5\n')
    s = load_scenario(tmp_path / "s.toml")
    assert s.platforms["douyin"].pool_escalation == 2.5
    assert s.platforms["douyin"].algorithm.interest == 0.7  # untouched keys kept


@pytest.mark.parametrize(
    ("body", "key", "expected"),
    [
        ("[population]\nn_fanz = 10\n", "population.n_fanz", "unknown key"),
        ("[population]\nn_fans = 'many'\n", "population.n_fans", "valid integer"),
        ("[trust]\ntrust_gain = 1.5\n", "trust.trust_gain", "less than or equal to 1"),
        ("[population]\nn_fans = -3\n", "population.n_fans", "greater than or equal to 50"),
        ("[brands]\nallocation = { tail = 0.5, head = 0.6 }\n", "brands", "sum to 1"),
        (
            "[platforms.douyin.algorithm]\ninterest = 0\nfollower = 0\nsocial = 0\n"
            "popularity = 0\n",
            "platforms.douyin.algorithm",
            "at least one",
        ),
        ("[platforms.tiktok]\nlabel = 'x'\n", "platforms.tiktok.algorithm", "Field required"),
        (
            "[roles.guru]\nshare = 1\ninitial_trust = 0.5\nsales_focus = 0.5\n",
            "roles.guru",
            "Input should be",
        ),
        ("[brand_day]\nenabled = true\nplatform = 'tiktok'\n", "(top level)", "brand_day.platform"),
        ("[brand_day]\nenabled = true\nbrand = 99\n", "(top level)", "below n_brands"),
    ],
)
def test_bad_values_name_file_key_and_expectation(tmp_path, body, key, expected):
    path = write(tmp_path, f'extends = "{BASELINE}"\n{body}')
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    msg = str(err.value)
    assert str(path) in msg and f"'{key}" in msg and expected in msg


def test_brand_day_needs_the_kob_role(tmp_path):
    roles = "".join(
        f"[roles.{r}]\nshare = 1\ninitial_trust = 0.5\nsales_focus = 0.5\n" for r in ("KOL", "KOC")
    )
    path = write(tmp_path, f"[brand_day]\nenabled = true\n{roles}")
    with pytest.raises(ScenarioError, match="brand_day needs the KOB role"):
        load_scenario(path)
    path = write(tmp_path, roles)  # without a brand day the roles are free
    assert set(load_scenario(path).roles) == {"KOL", "KOC"}


def test_missing_file_and_bad_extends(tmp_path):
    with pytest.raises(ScenarioError, match="not found"):
        load_scenario(tmp_path / "nope.toml")
    path = write(tmp_path, 'extends = "missing.toml"\n')
    with pytest.raises(ScenarioError, match=r"s\.toml: key 'extends'.*not found"):
        load_scenario(path)
    path = write(tmp_path, "extends = 3\n")
    with pytest.raises(ScenarioError, match="key 'extends': expected a file name"):
        load_scenario(path)


def test_circular_extends(tmp_path):
    write(tmp_path, 'extends = "b.toml"\n', "a.toml")
    write(tmp_path, 'extends = "a.toml"\n', "b.toml")
    with pytest.raises(ScenarioError, match="circular extends"):
        load_scenario(tmp_path / "a.toml")


def test_invalid_toml_is_reported_with_file(tmp_path):
    path = write(tmp_path, "[population\nn_fans = 1\n")
    with pytest.raises(ScenarioError, match=r"s\.toml: not valid TOML"):
        load_scenario(path)


def test_scenario_files_are_data_not_code(tmp_path):
    path = write(tmp_path, "[population]\nn_fans = \"__import__('os').getpid()\"\n")
    with pytest.raises(ScenarioError, match="valid integer"):
        load_scenario(path)


def test_flat_params_round_trip_and_reject_unknown():
    s = Scenario()
    assert Scenario.from_params(s.model_params()) == s
    with pytest.raises(ScenarioError, match="unknown model parameter 'n_fan'"):
        Scenario.from_params({"n_fan": 10})


# ------------------------------------------------------------------ property-based
def _field_bounds(section: str, field: str):
    meta = PARAM_SECTIONS[section].model_fields[field].metadata
    lo = next((m.ge for m in meta if hasattr(m, "ge")), None)
    hi = next((m.le for m in meta if hasattr(m, "le")), None)
    gt = next((m.gt for m in meta if hasattr(m, "gt")), None)
    return lo, hi, gt


BOUNDED = sorted(
    flat
    for flat, (section, field) in FLAT_PARAMS.items()
    if PARAM_SECTIONS[section].model_fields[field].annotation in (int, float)
    and any(b is not None for b in _field_bounds(section, field))
)


@settings(
    max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None
)
@given(name=st.sampled_from(BOUNDED), value=st.floats(-1e9, 1e9, allow_nan=False))
def test_any_number_is_accepted_iff_in_range(tmp_path, name, value):
    section, field = FLAT_PARAMS[name]
    lo, hi, gt = _field_bounds(section, field)
    is_int = PARAM_SECTIONS[section].model_fields[field].annotation is int
    if is_int:
        value = int(value)
    in_range = (
        (lo is None or value >= lo) and (hi is None or value <= hi) and (gt is None or value > gt)
    )
    path = write(tmp_path, f'extends = "{BASELINE}"\n[{section}]\n{field} = {value!r}\n')
    if in_range:
        assert getattr(getattr(load_scenario(path), section), field) == value
    else:
        with pytest.raises(ScenarioError) as err:
            load_scenario(path)
        assert f"'{section}.{field}'" in str(err.value)


@settings(
    max_examples=100, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None
)
@given(
    key=st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=20),
    section=st.sampled_from(sorted(PARAM_SECTIONS)),
)
def test_unknown_keys_are_always_rejected(tmp_path, key, section):
    if key in PARAM_SECTIONS[section].model_fields:
        return
    path = write(tmp_path, f'extends = "{BASELINE}"\n[{section}]\n{key} = 1\n')
    with pytest.raises(ScenarioError, match=f"'{section}.{key}': unknown key"):
        load_scenario(path)


@settings(max_examples=60, deadline=None)
@given(garbage=st.binary(max_size=200))
def test_arbitrary_bytes_never_crash_the_loader(tmp_path_factory, garbage):
    path = tmp_path_factory.mktemp("fuzz") / "g.toml"
    path.write_bytes(garbage)
    try:
        load_scenario(path)
    except ScenarioError as err:
        assert str(path) in str(err)
