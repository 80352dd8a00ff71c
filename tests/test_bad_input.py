"""Bad input, tried on purpose: one readable message naming file, key and expectation, exit
code 2, no traceback, and nothing under the results root (docs/reliability.md)."""

import math
import re
import subprocess
import sys

import pytest
from conftest import BASELINE, QUICKSTART, ROOT, SMALL
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulation import resources
from simulation.cli import main
from simulation.scenario import ScenarioError, load_scenario
from simulation.sweeps.spec import load_sweep


def cli(tmp_path, capsys, command, *args):
    """Run a command in this process; its exit code and standard error."""
    quiet = ["--quiet"] if command in ("run", "compare", "sweep") else []
    code = main([command, *map(str, args), *quiet])
    return code, capsys.readouterr().err


def write(tmp_path, text, name="s.toml"):
    path = tmp_path / name
    path.write_text(text)
    return path


# ------------------------------------------------------------------ each kind, by hand
SCENARIO_CASES = [
    # (file body after extends, key named, expectation named)
    ("[population]\nn_fanz = 2000\n", "population.n_fanz", "did you mean 'n_fans'"),
    ("[trust]\ntrust_gian = 0.2\n", "trust.trust_gian", "did you mean 'trust_gain'"),
    ("[platforms.douyin.algorithm]\nintrest = 0.5\n", "algorithm.intrest", "'interest'"),
    ("[population]\nn_fans = 'many'\n", "population.n_fans", "valid integer"),
    ("[trust]\ntrust_gain = nan\n", "trust.trust_gain", "finite number"),
    ("[fans]\nbudget_mean = inf\n", "fans.budget_mean", "finite number"),
    ("[population]\nn_fans = 0\n", "population.n_fans", "greater than or equal to 50"),
    ("[population]\nn_creators = -5\n", "population.n_creators", "greater than or equal to 4"),
    ("[brands]\nallocation = { tail = 0.5, head = 0.6 }\n", "brands", "sum to 1"),
    ("[scale]\nthousands_band = [9000.0, 1000.0]\n", "scale", "low <= high"),
    ("[whatif]\ndays = [30, 10]\n", "whatif", "first <= last"),
    ("[platforms.douyn]\nlabel = 'typo'\n", "platforms.douyn.algorithm", "'douyin'"),
    ("[roles.guru]\nshare = 1\ninitial_trust = 0.5\nsales_focus = 0.5\n", "roles.guru", "'KOL'"),
    ("[[events.festival]]\nday = 3\nplatform = 'tiktok'\n", "platform", "expected 'all'"),
    ("name = 'other'\n", "name", "set by the loader"),
    ("source = '/etc/passwd'\n", "source", "set by the loader"),
]


@pytest.mark.parametrize(("body", "key", "expected"), SCENARIO_CASES)
def test_each_kind_of_bad_scenario_is_one_clear_message_exit_2_nothing_written(
    tmp_path, capsys, monkeypatch, body, key, expected
):
    monkeypatch.chdir(tmp_path)
    path = write(tmp_path, f'extends = "{SMALL}"\n{body}')
    for command in ("check", "run"):
        code, err = cli(tmp_path, capsys, command, path)
        assert code == 2, err
        assert err.startswith(f"error: {path}") and f"{key}" in err and expected in err, err
    assert [p.name for p in tmp_path.iterdir()] == ["s.toml"]


def test_extends_cycles_and_missing_parents_name_the_file_that_extends(tmp_path, capsys):
    write(tmp_path, 'extends = "b.toml"\n', "a.toml")
    write(tmp_path, 'extends = "c.toml"\n', "b.toml")
    write(tmp_path, 'extends = "a.toml"\n', "c.toml")
    code, err = cli(tmp_path, capsys, "check", tmp_path / "a.toml")
    assert code == 2 and "c.toml: key 'extends': circular extends" in err
    assert "a.toml -> " in err and "-> " + str(tmp_path / "a.toml") in err
    write(tmp_path, 'extends = "gone.toml"\n', "orphan.toml")
    code, err = cli(tmp_path, capsys, "check", tmp_path / "orphan.toml")
    assert code == 2 and "orphan.toml: key 'extends': scenario file not found" in err


def test_a_population_that_would_not_fit_is_refused_with_the_estimate(
    tmp_path, capsys, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(resources, "available_bytes", lambda: 8e9)  # an 8 GB machine
    path = write(tmp_path, f'extends = "{BASELINE}"\n[population]\nn_fans = 10_000_000\n')
    code, err = cli(tmp_path, capsys, "run", path)
    assert code == 2 and f"{path}: key 'population.n_fans'" in err
    assert "need about 11.2 GB per run" in err and "8.0 GB available" in err
    code, err = cli(tmp_path, capsys, "compare", QUICKSTART, path, "--workers", 2)
    assert code == 2 and "x 2 processes" in err
    assert [p.name for p in tmp_path.iterdir()] == ["s.toml"]


def test_the_memory_estimate_is_above_the_measured_peak():
    """The refusal's estimate is an upper bound of what a run really takes (peak RSS).

    The estimate allows for numba compiling on a machine's first run, so a run with the
    kernels cached may sit up to that allowance (about 450 MB) below it, never more.
    """
    fans, creators = 60_000, 6_000
    code = (
        "import resource; from simulation import CreatorEconomy, load_scenario\n"
        f"p = load_scenario({str(BASELINE)!r}).model_params()\n"
        f"m = CreatorEconomy(rng=1, **(p | dict(n_fans={fans}, n_creators={creators})))\n"
        "for _ in range(60): m.step()\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    peak = float(done.stdout.split()[-1])
    estimate = resources.estimate_bytes(fans, creators)
    assert peak < estimate < peak + 450e6, (peak, estimate)


@pytest.mark.parametrize(
    ("name", "args", "expected"),
    [
        ("escape", ["--name", "../../outside"], "expected a plain folder name"),
        ("hidden", ["--name", ".sneaky"], "no leading '.'"),
        ("absolute", ["--name", "/tmp/x"], "expected a plain folder name"),
    ],
)
def test_compare_writes_only_under_its_results_root(tmp_path, capsys, name, args, expected):
    root = tmp_path / "root" / "results"
    code, err = cli(
        tmp_path, capsys, "compare", SMALL, QUICKSTART, "--results", root, "--steps", 2, *args
    )
    assert code == 2 and expected in err, err
    assert not (tmp_path / "root").exists() and not (tmp_path / "outside").exists()


def test_a_scenario_file_whose_name_is_not_a_folder_name_is_refused(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = write(tmp_path, f'extends = "{SMALL}"\n', "...toml")  # its name is ".."
    code, err = cli(tmp_path, capsys, "run", path, "--steps", 2)
    assert code == 2 and "'..': expected a plain folder name" in err
    assert [p.name for p in tmp_path.iterdir()] == ["...toml"]


def test_bad_input_never_shows_a_traceback_from_the_console_script(tmp_path):
    bad = write(tmp_path, f'extends = "{SMALL}"\n[population]\nn_fans = nan\n')
    proc = subprocess.run(
        [sys.executable, "-m", "simulation", "run", str(bad)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.count("\n") == 2  # the file line and the key line
    assert [p.name for p in tmp_path.iterdir()] == ["s.toml"]


SWEEP_CASES = [
    ("design = 'lhs'\nmetrics = ['F1']\n[parameters]\ntrust_gian = [0.1, 0.2]\n",
     "parameters.trust_gian", "did you mean 'trust_gain'"),
    ("design = 'lhs'\nmetrics = ['F1']\nsampels = 3\n[parameters]\ntrust_gain = [0.1, 0.2]\n",
     "sampels", "did you mean 'samples'"),
    ("design = 'lhs'\nmetrics = ['F1']\n[parameters]\ntrust_gain = [0.1, nan]\n",
     "parameters.trust_gain", "finite number"),
    ("design = 'lhs'\nmetrics = ['F1']\n[parameters]\ntrust_gain = [0.4, 0.1]\n",
     "parameters.trust_gain", "low < high"),
    ("design = 'lhs'\nmetrics = ['F1']\nname = 'x'\n[parameters]\ntrust_gain = [0.1, 0.2]\n",
     "name", "set by the loader"),
    ("design = 'lhs'\nmetrics = ['F1']\n[parameters]\nn_fans = [100, 0]\n",
     "parameters.n_fans", "low < high"),
]  # fmt: skip


@pytest.mark.parametrize(("body", "key", "expected"), SWEEP_CASES)
def test_each_kind_of_bad_sweep_file_is_one_clear_message(tmp_path, capsys, body, key, expected):
    path = write(tmp_path, f'base = "{SMALL}"\n{body}', "sw.toml")
    code, err = cli(tmp_path, capsys, "sweep", path, "--results", tmp_path / "results")
    assert code == 2 and str(path) in err and key in err and expected in err, err
    assert not (tmp_path / "results").exists()


# ------------------------------------------------------------------ generated files
FUZZ_SCENARIOS = 10_000
FUZZ_SWEEPS = 2_000
SOURCES = [QUICKSTART, SMALL, *sorted((ROOT / "scenarios" / "whatif").glob("*.toml"))]
TEXTS = [p.read_text() for p in SOURCES]
ASSIGNMENT = re.compile(r"^([A-Za-z_\"][^=\n]*?)\s*=\s*(.+)$", re.M)


def toml_float(x: float) -> str:
    if math.isnan(x):
        return "nan"
    return repr(x) if math.isfinite(x) else ("inf" if x > 0 else "-inf")


values = st.one_of(
    st.integers(-(10**12), 10**12).map(str),
    st.floats().map(toml_float),
    st.sampled_from(["0", "-1", "1e308", "-0.0", "nan", "+inf", "-inf", "true", "[]", "{}"]),
    st.sampled_from(["'douyin'", "'tiktok'", "'KOL'", "'guru'", "'interest'", "'magic'"]),
    st.text(max_size=12).map(lambda t: '"' + t.replace("\\", "").replace('"', "") + '"'),
    st.lists(st.floats(-2, 2, allow_nan=False), max_size=3).map(str),
)
KEYS = sorted(
    {"n_fans", "n_creators", "trust_gain", "name", "source", "extends", "allocation",
     "interest", "follower", "platform", "tier", "day", "share", "thousands_band", "steps",
     "watch", "expect", "demand_factor", "n_fanz", "trust_gian", "enabled", "formats"}
)  # fmt: skip
SECTIONS = sorted(
    {"population", "trust", "fans", "brands", "run", "platforms.douyin",
     "platforms.douyin.algorithm", "platforms.tiktok", "roles.KOC", "roles.guru",
     "brand_day", "whatif", "scale", "[events.festival]", "[events.scandal]", "nonsense"}
)  # fmt: skip


@st.composite
def damaged(draw, texts):
    """A real file with one to four edits: values, keys, tables, raw bytes or cut text."""
    text = draw(st.sampled_from(texts))
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["value", "rename", "add", "cut", "insert", "extends"]))
        lines = ASSIGNMENT.findall(text)
        if kind == "value" and lines:
            key, old = draw(st.sampled_from(lines))
            text = text.replace(f"{key} = {old}", f"{key} = {draw(values)}", 1)
        elif kind == "rename" and lines:
            key, _ = draw(st.sampled_from(lines))
            i = draw(st.integers(0, max(len(key) - 1, 0)))
            text = text.replace(f"{key} =", f"{key[:i] + key[i + 1 :] or 'x'} =", 1)
        elif kind == "add":
            section = draw(st.sampled_from(SECTIONS))
            text += f"\n[{section}]\n{draw(st.sampled_from(KEYS))} = {draw(values)}\n"
        elif kind == "cut" and text:
            i = draw(st.integers(0, len(text) - 1))
            text = text[:i] + text[i + draw(st.integers(1, 40)) :]
        elif kind == "insert":
            i = draw(st.integers(0, len(text)))
            text = text[:i] + draw(st.text(max_size=8)) + text[i:]
        elif kind == "extends":
            target = draw(st.sampled_from(["self.toml", "missing.toml", "", "/", "..", "g.toml"]))
            text = f'extends = "{target}"\n' + re.sub(r"^extends.*$", "", text, flags=re.M)
    return text


def _absolute_extends(text: str, source) -> str:
    return re.sub(
        r'^extends = "([^"]+)"',
        lambda m: f'extends = "{(source.parent / m.group(1)).resolve()}"',
        text,
        flags=re.M,
    )


ABSOLUTE = [_absolute_extends(t, p) for t, p in zip(TEXTS, SOURCES, strict=True)]


def _loads_or_explains(load, path) -> str:
    """Load a file: it is valid, or the error names it; anything else is a crash."""
    try:
        load(path)
    except ScenarioError as err:
        message = str(err)
        assert str(path.parent) in message, message  # the file (or the one it extends)
        assert "Traceback" not in message
        return "refused"
    return "accepted"


def fuzz(folder, texts, load, examples: int) -> dict[str, int]:
    """Load ``examples`` damaged versions of ``texts``; count accepted and refused files."""
    outcomes = {"accepted": 0, "refused": 0}

    @settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,  # a failure reproduces
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(text=damaged(texts))
    def one(text):
        path = folder / "fuzzed.toml"
        # A new file each time: ext4 flushes a file rewritten in place to disk when it is
        # closed (2 ms each here, 20 s of the fuzz); a new one stays in the page cache.
        path.unlink(missing_ok=True)
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        outcomes[_loads_or_explains(load, path)] += 1

    one()
    assert sum(outcomes.values()) == examples and outcomes["refused"] > examples // 2
    return outcomes


def _report(what: str, outcomes: dict[str, int]) -> str:
    return (
        f"fuzz: {sum(outcomes.values())} generated {what} files, {outcomes['refused']} refused "
        f"with a message naming the file, {outcomes['accepted']} valid, 0 crashes"
    )


@pytest.mark.slow
def test_fuzz_generated_scenario_files_never_crash_the_loader(tmp_path_factory, tried):
    folder = tmp_path_factory.mktemp("fuzz")
    (folder / "g.toml").write_text('extends = "self.toml"\n')  # a parent for extends edits
    (folder / "self.toml").write_text('extends = "g.toml"\n')  # ... and a cycle through it
    tried(_report("scenario", fuzz(folder, ABSOLUTE, load_scenario, FUZZ_SCENARIOS)))


@pytest.mark.slow
def test_fuzz_generated_sweep_files_never_crash_the_loader(tmp_path_factory, tried):
    shipped = sorted((ROOT / "scenarios" / "sweeps").glob("*.toml"))
    texts = [_absolute_extends(p.read_text().replace("base =", "extends ="), p) for p in shipped]
    texts = [t.replace("extends =", "base =") for t in texts]
    outcomes = fuzz(tmp_path_factory.mktemp("fuzz-sweeps"), texts, load_sweep, FUZZ_SWEEPS)
    tried(_report("sweep", outcomes))


def test_the_generator_makes_every_kind_of_damage():
    """The fuzzer is not vacuous: a sample of its files holds each kind of damage."""
    import tomllib

    seen = set()

    @settings(max_examples=1000, derandomize=True, database=None, deadline=None)
    @given(text=damaged(ABSOLUTE))
    def one(text):
        try:
            tomllib.loads(text)
        except tomllib.TOMLDecodeError:
            seen.add("syntax")
        seen.update(w for w in ("nan", "inf", "tiktok", "guru", "name =", "missing") if w in text)

    one()
    assert seen == {"syntax", "nan", "inf", "tiktok", "guru", "name =", "missing"}
