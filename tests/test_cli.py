"""The command line as a user runs it: files written, errors reported, nothing half-written."""

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from conftest import BASELINE, SMALL

from simulation import cli, load_scenario, plots
from simulation.folders import MARKER
from simulation.results import read_results

FACTS_IDS = [f"F{i}" for i in range(1, 11)]


def creator_sim(*args, cwd=None, env=None):
    return subprocess.run(
        [sys.executable, "-m", "simulation", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        env=None if env is None else os.environ | env,
    )


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("cli") / "small"
    proc = creator_sim(
        "run", SMALL, "--steps", 30, "--replicates", 2, "--out", out, "--quiet",
        env={"CREATOR_SIM_THREADS": "2"},  # against one thread in test_rerun_is_byte_identical
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert f"-> {out}" in proc.stdout
    return out


def test_run_writes_every_result_file(run_dir):
    names = {p.name for p in run_dir.iterdir()}
    written = {"metadata.json", "timeseries.csv", "creators.csv", "summary.json", "figures"}
    assert names == written | {MARKER}
    figs = sorted(p.name for p in (run_dir / "figures").iterdir())
    assert figs == sorted(f"{n}.png" for n in plots.FIGURES)
    for f in (run_dir / "figures").iterdir():
        assert f.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and f.stat().st_size > 10_000


def test_metadata_records_scenario_seeds_versions_and_scale(run_dir):
    meta = read_results(run_dir)["metadata"]
    assert meta["seeds"] == [7, 8] and meta["steps"] == 30 and meta["step_unit"] == "day"
    assert meta["scenario"]["population"]["n_fans"] == 2000
    assert meta["scenario_file"] == str(SMALL)
    assert {"creator-sim", "mesa", "numpy", "python"} <= set(meta["versions"])
    scale = meta["scale_mapping"]
    assert scale["real_users_per_simulated_fan"] == pytest.approx(150e6 / 2000)
    assert set(scale["tiers"]) == {"tail", "small", "mid", "head"}
    assert meta["wall_time_s"] > 0


def test_timeseries_and_summary_are_complete(run_dir):
    res = read_results(run_dir)
    ts = res["timeseries"]
    assert len(ts) == 60 and sorted(ts["replicate"].unique()) == [0, 1]
    assert ts.groupby("replicate")["step"].apply(list).tolist() == [list(range(1, 31))] * 2
    assert ts["gmv"].sum() > 0
    facts = res["summary"]["facts"]
    assert list(facts) == FACTS_IDS
    for entry in facts.values():
        assert {"value", "target", "definition", "calibrated", "per_replicate"} <= set(entry)
        assert len(entry["per_replicate"]) == 2
    creators = res["creators"]
    assert set(creators["replicate"]) == {0, 1} and (creators["followers"] >= 0).all()


def test_rerun_is_byte_identical(run_dir, tmp_path):
    """Another process, on one thread instead of all cores, with another hash seed."""
    again = tmp_path / "again"
    proc = creator_sim(
        "run", SMALL, "--steps", 30, "--replicates", 2, "--out", again, "--quiet", "--no-figures",
        env={"CREATOR_SIM_THREADS": "1", "PYTHONHASHSEED": "12345"},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    for name in ("timeseries.csv", "creators.csv", "summary.json"):
        assert (again / name).read_bytes() == (run_dir / name).read_bytes(), name


def test_other_seed_gives_other_results(run_dir, tmp_path):
    other = tmp_path / "other"
    assert (
        creator_sim(
            "run", SMALL, "--steps", 30, "--seed", 99, "--out", other, "--quiet", "--no-figures"
        ).returncode
        == 0
    )
    a = pd.read_csv(other / "timeseries.csv")
    b = pd.read_csv(run_dir / "timeseries.csv")
    assert not a["gmv"].equals(b[b["replicate"] == 0]["gmv"].reset_index(drop=True))


def test_default_output_folder_is_results_scenario_name(tmp_path):
    proc = creator_sim("run", SMALL, "--steps", 3, "--no-figures", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "results" / "small" / "summary.json").exists()
    # Not a terminal (a log): the progress is one dated line, without a live bar's escapes.
    days = load_scenario(SMALL).run.warmup_days + 3
    assert re.fullmatch(rf"\S+ \S+  small: {days}/{days} days, \S+ elapsed\n", proc.stderr)


def test_check_accepts_good_files():
    proc = creator_sim("check", BASELINE, SMALL)
    assert proc.returncode == 0 and proc.stdout.count("OK ") == 2


def test_bad_scenario_fails_clearly_and_writes_nothing(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(f'extends = "{BASELINE}"\n[trust]\ntrust_gain = "high"\n')
    for command in ("check", "run"):
        proc = creator_sim(command, bad, cwd=tmp_path)
        assert proc.returncode == 2
        assert str(bad) in proc.stderr and "trust.trust_gain" in proc.stderr
        assert "Traceback" not in proc.stderr
    assert not (tmp_path / "results").exists()


def test_bad_command_line_arguments_are_rejected():
    proc = creator_sim("run", SMALL, "--replicates", 0)
    assert proc.returncode == 2 and "positive integer" in proc.stderr


def test_failed_run_leaves_nothing_half_written(tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("disk full while plotting")

    monkeypatch.setattr(plots, "save", broken)
    out = tmp_path / "x"
    with pytest.raises(RuntimeError, match="disk full"):
        cli.main(["run", str(SMALL), "--steps", "2", "--out", str(out), "--quiet"])
    assert list(tmp_path.iterdir()) == []


def test_rerun_replaces_an_existing_folder(tmp_path):
    out = tmp_path / "r"
    run = ["run", str(SMALL), "--steps", "2", "--out", str(out), "--quiet", "--no-figures"]
    assert cli.main(run) == 0
    (out / "stale").mkdir()
    assert cli.main(run) == 0
    assert not (out / "stale").exists() and (out / "summary.json").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["r"]


def test_a_folder_not_written_by_the_tool_is_never_replaced(tmp_path, capsys):
    mine = tmp_path / "thesis"
    (mine / "chapter1.tex").parent.mkdir()
    (mine / "chapter1.tex").write_text("years of work")
    run = ["run", str(SMALL), "--steps", "2", "--out", str(mine), "--quiet", "--no-figures"]
    assert cli.main(run) == 2
    assert "was not written by creator-sim" in capsys.readouterr().err
    assert [p.name for p in mine.iterdir()] == ["chapter1.tex"]
    assert [p.name for p in tmp_path.iterdir()] == ["thesis"]


def test_console_script_is_installed():
    script = Path(sys.executable).parent / "creator-sim"
    proc = subprocess.run([str(script), "check", str(SMALL)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_summary_is_strict_json(run_dir):
    json.loads((run_dir / "summary.json").read_text(), parse_constant=pytest.fail)


# ------------------------------------------------------------------ calibrate and validate
@pytest.mark.slow
def test_calibrate_writes_scenario_and_report(tmp_path):
    scenario = tmp_path / "short.toml"
    scenario.write_text(f'extends = "{SMALL}"\n[run]\nsteps = 20\n')
    out = tmp_path / "cal"
    args = ["calibrate", scenario, "--seeds", 2, "--trials", 3, "--out", out, "--quiet"]
    args += ["--population", "600:40", "--confirm", 2]
    proc = creator_sim(*args)
    assert proc.returncode == 0, proc.stderr
    files = {"short.toml", "report.md", "report.json", "history.csv", "runs.sqlite"}
    assert {p.name for p in out.iterdir()} == files
    report = (out / "report.md").read_text()
    assert "Reproduce: `creator-sim calibrate" in report and "| F8 |" in report
    assert "Scale mapping: population scale factor" in report
    assert "Searched at: population scale factor" in report and "Second fidelity" in report
    record = json.loads((out / "report.json").read_text())
    assert record["scale_mapping"]["real_users_per_simulated_fan"] > 0
    assert (
        record["searched_scale_mapping"]["real_users_per_simulated_fan"]
        > (record["scale_mapping"]["real_users_per_simulated_fan"])
    )
    history = pd.read_csv(out / "history.csv")
    best = record["best"]
    confirmed = history[history["stage"] == "confirm"]
    assert len(confirmed) == 2 and best["stage"] == "confirm"
    assert best["loss"] == pytest.approx(confirmed["loss"].min(), rel=1e-5)  # CSV: 6 digits
    assert "exist to hit one number" in report and "`return_reference`" in report
    # The same command again: every run is stored, nothing runs, the same files result.
    before = {name: (out / name).read_bytes() for name in ("history.csv", "report.md")}
    proc = creator_sim(*args)
    assert proc.returncode == 0, proc.stderr
    assert {name: (out / name).read_bytes() for name in before} == before
    # --in-place: the calibrated file loads, holds the best parameters, the source too.
    proc = creator_sim(*args, "--in-place")
    assert proc.returncode == 0, proc.stderr
    from simulation import load_scenario

    for path in (out / "short.toml", scenario):
        params = load_scenario(path).model_params()
        for name, value in best["params"].items():
            assert params[name] == pytest.approx(value, rel=1e-3)
    # A changed scenario is another calibration: its runs are not mixed with the old ones.
    scenario.write_text(scenario.read_text().replace("steps = 20", "steps = 21"))
    proc = creator_sim(*args)
    assert proc.returncode == 2 and "another design" in proc.stderr and "--reset" in proc.stderr
    assert str(scenario) in proc.stderr


def test_validate_refuses_golden_mistakes_before_running_anything(tmp_path):
    out, golden = tmp_path / "validation", tmp_path / "golden.json"
    for extra, message in (
        (["--only", "attachment"], "--golden needs the baseline part"),
        (["--reset-progress", "F99"], "unknown target key(s) F99; expected some of F1"),
    ):
        t0 = time.perf_counter()
        proc = creator_sim("validate", *extra, "--golden", golden, "--out", out)
        assert proc.returncode == 2 and message in proc.stderr, proc.stderr
        assert time.perf_counter() - t0 < 30  # no run: a 10-seed baseline takes minutes
        assert not out.exists() and not golden.exists()


def test_validate_writes_table_and_figures(tmp_path):
    pa = tmp_path / "pa.toml"
    limit = Path(__file__).resolve().parent.parent / "scenarios" / "limits"
    pa.write_text(
        f'extends = "{limit / "preferential_attachment.toml"}"\n'
        "[run]\nsteps = 120\nreplicates = 2\n[population]\nn_fans = 3000\n"
    )
    churn = tmp_path / "churn.toml"
    churn.write_text(
        f'extends = "{limit / "attachment_with_churn.toml"}"\n'
        "[run]\nsteps = 60\nreplicates = 1\n[population]\nn_fans = 3000\nn_creators = 50\n"
    )
    out = tmp_path / "validation"
    here = tmp_path / "here"  # the folder the command is typed in
    here.mkdir()
    proc = creator_sim(
        "validate", "--only", "attachment", "churn", "--attachment", pa, "--churn", churn,
        "--out", out, cwd=here,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert list(here.iterdir()) == []  # the theory limits store no run, here or anywhere
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "churn.toml",
        "here",
        "pa.toml",
        "validation",
    ]
    table = pd.read_csv(out / "validation.csv")
    assert list(table.columns) == ["check", "what", "measured", "band", "pass", "seeds"]
    assert set(table["check"]) == {
        "PA exponent", "PA Gini", "PA top-1%", "churn q = 0.5", "churn q = 0", "churn q = 1"
    }  # fmt: skip
    assert "| PA exponent |" in (out / "validation.md").read_text()
    figs = {p.name for p in (out / "figures").iterdir()}
    assert figs == {
        "follower_ccdf_fit.png", "concentration_by_algorithm.png", "attachment_with_churn.png"
    }  # fmt: skip
    assert "versions" in json.loads((out / "validation.json").read_text())
