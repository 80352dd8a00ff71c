"""Each shipped what-if moves the indicator its comment names, in a short run on common seeds.

A smaller market than the quick start's (4,000 fans) and no warm-up keep each comparison
to seconds; the scenarios are the shipped files, unchanged but for the population. The
mean paired difference of the watched indicator must be non-zero and, when the file
names an expected direction, on that side; an open question (no ``expect``) must differ
beyond seed noise. Whether each effect is beyond seed noise at the quick start's scale
is what ``make whatif`` measures for the README's catalogue.

One indicator counts rare events: ``virtual_kols`` watches scandals, about 4 a year among
200 creators at the baseline's rate, and a quarter of them virtual removes about one of
those, inside the Poisson noise of 3 seeds (its direction failed about one time in three).
Its test raises ``scandal_rate`` ten-fold in both arms, so the difference it checks (the
same question: a larger scandal-free share) stands about 3 standard errors from zero.
"""

import pytest
from conftest import QUICKSTART, ROOT, shared_folder

from simulation import compare, load_scenario

pytestmark = pytest.mark.slow

WHATIFS = sorted((ROOT / "scenarios" / "whatif").glob("*.toml"))
FANS, CREATORS = 4_000, 200
SEEDS = 3  # the catalogue (make whatif) measures each effect on 5 seeds at 20,000 fans
MIN_STEPS = 120
SCANDAL_RATE_FACTOR = {"virtual_kols": 10.0}  # rare events, raised in both arms (docstring)


def _small(scenario, scandal_rate_factor: float = 1.0):
    population = scenario.population.model_copy(update={"n_fans": FANS, "n_creators": CREATORS})
    run = scenario.run.model_copy(update={"warmup_days": 0})
    rate = scenario.creators.scandal_rate * scandal_rate_factor
    creators = scenario.creators.model_copy(update={"scandal_rate": rate})
    return scenario.model_copy(update={"population": population, "run": run, "creators": creators})


@pytest.mark.parametrize("path", WHATIFS, ids=lambda p: p.stem)
def test_whatif_moves_its_watched_indicator(path, tmp_path_factory):
    whatif = load_scenario(path)
    last_event = max([e.day for e in (*whatif.events.scandal, *whatif.events.festival)], default=0)
    steps = max(MIN_STEPS, last_event, whatif.whatif.days[1] if whatif.whatif.days else 0)
    factor = SCANDAL_RATE_FACTOR.get(path.stem, 1.0)
    baseline = _small(load_scenario(QUICKSTART), factor)
    runs = {"replicates": SEEDS, "steps": steps, "seed": 11}
    # The baseline's runs, made once for the what-ifs of this length on any xdist worker (a
    # run's folder is named by scenario and seed: one folder per length and scandal rate).
    with shared_folder(tmp_path_factory, f"whatif-runs-{steps}-days-x{factor:g}") as root:
        compare.compare(baseline, [], **runs, runs_root=root)
    result = compare.compare(baseline, [_small(whatif, factor)], **runs, runs_root=root)
    (d,) = [d for d in result.differences if d.watched]
    assert d.indicator == whatif.whatif.watch
    where = f"{path.stem}: {d.indicator} {d.difference:+.4g} [{d.low:+.4g}, {d.high:+.4g}]"
    if whatif.whatif.expect:
        sign = 1 if whatif.whatif.expect == "higher" else -1
        assert sign * d.difference > 0, f"{where}, expected {whatif.whatif.expect}"
    else:
        assert d.low > 0 or d.high < 0, f"{where}: an open question needs a clear answer"
