"""The ``creator-sim`` command line: run, check, compare, calibrate and validate scenarios."""

from __future__ import annotations

import argparse
import contextlib
import faulthandler
import gc
import shlex
import signal
import sys
import threading
from pathlib import Path

from simulation.figure_helper import FigureHelper
from simulation.folders import (
    Stopped,
    inside,
    raise_if_stopped,
    replace_file,
    stopping_on_signals,
)
from simulation.progress import Bar
from simulation.resources import check_memory, estimate_bytes
from simulation.scenario import RunError, ScenarioError, load_scenario


def _run(args: argparse.Namespace) -> int:
    scenario = load_scenario(args.scenario)  # bad input is reported before anything starts
    out = Path(args.out) if args.out else inside("results", scenario.name)
    check_memory([scenario])
    # Forked while this process has no thread (nothing so far imported NumPy): it imports
    # matplotlib during the run and draws half of the figures at the end (the quick
    # start's took 0.66-0.69 s instead of 1.18-1.28 with the import; benchmarks/README.md,
    # twentieth look).
    helper = None if args.no_figures else FigureHelper.start()
    with helper or contextlib.nullcontext():
        from simulation.results import write_results
        from simulation.runner import run_scenario

        # What the imports made (numba's types, pandas, Mesa) lives as long as the process:
        # out of the collector's sight, its full collections took 0.09 s instead of 0.24 in
        # a quick start (benchmarks/README.md, twentieth look).
        gc.freeze()
        result = run_scenario(
            scenario,
            seed=args.seed,
            replicates=args.replicates,
            steps=args.steps,
            progress=not args.quiet,
        )
        folder = write_results(result, out, figures=not args.no_figures, helper=helper)
    print(
        f"{scenario.name}: {len(result.seeds)} replicate(s) x {result.steps} days "
        f"in {result.wall_time:.1f} s -> {folder}"
    )
    return 0


def _check(args: argparse.Namespace) -> int:
    for path in args.files:
        s = load_scenario(path)
        print(
            f"OK {path}: {s.population.n_fans} fans, {s.population.n_creators} creators, "
            f"{s.population.n_brands} brands, platforms "
            f"{', '.join(k for k, p in s.platforms.items() if p.enabled)}; "
            f"{s.run.steps} days, seed {s.run.seed}; about "
            f"{estimate_bytes(s.population.n_fans, s.population.n_creators) / 1e9:.1f} GB per run"
        )
    return 0


def _calibrate(args: argparse.Namespace) -> int:
    import pandas as pd

    from simulation import calibration
    from simulation.results import versions, write_json
    from simulation.scale import ScaleMapping
    from simulation.sweeps.store import RunStore

    source = Path(args.scenario)
    scenario = load_scenario(source)
    if args.confirm and not args.population:
        raise ScenarioError("--confirm reruns the best candidates of a --population search")
    out = Path(args.out) if args.out else inside("results", "calibration", scenario.name)
    searched = scenario
    if args.population:  # fit at a smaller market; the fit goes to the source file
        searched = calibration.at_population(scenario, *args.population)
    check_memory([scenario if args.confirm else searched], processes=args.workers)
    total = args.trials + args.confirm
    store = RunStore(
        out / "runs.sqlite",
        calibration.fingerprint(scenario, args.seeds, args.population),
        reset=args.reset,
        changed=f"{source} or the seeds, population or model code changed since they were "
        "run (--in-place rewrites the scenario: a new calibration starts from its values); "
        "rerun with --reset to discard them, or use another --out",
    )
    try:
        with Bar(f"calibrating {scenario.name}", total, "candidates", quiet=args.quiet) as bar:

            def on_eval(ev: dict, best: dict) -> None:
                bar.advance(
                    description=f"calibrating {scenario.name}: best loss {best['loss']:.3f}"
                )

            cal = calibration.calibrate(
                scenario,
                seeds=args.seeds,
                trials=args.trials,
                workers=args.workers,
                population=args.population,
                confirm=args.confirm,
                store=store,
                on_eval=on_eval,
            )
    finally:
        store.close()
    words = ["creator-sim", "calibrate", str(source)]
    if args.population:
        words += ["--population", ":".join(map(str, args.population))]
    if args.confirm:
        words += ["--confirm", str(args.confirm)]
    command = shlex.join([*words, "--seeds", str(args.seeds), "--trials", str(args.trials)])
    note = (
        f"# Status: calibrated (best loss {cal.best['loss']:.3f}) by\n#   {command}\n"
        f"# Report: {out}/report.md. `creator-sim validate` checks it over 10 seeds.\n"
    )
    # Each file is written whole or not at all; runs.sqlite keeps the runs for a rerun.
    calibration.write_calibrated(source, cal.best["params"], out / source.name, note)
    replace_file(
        out / "report.md", lambda tmp: tmp.write_text(calibration.report(cal, scenario, command))
    )
    write_json(
        out / "report.json",
        {
            "best": cal.best,
            "confirmed": cal.confirmed,
            "seeds": cal.seeds,
            "command": command,
            "scale_mapping": ScaleMapping.from_scenario(scenario).describe(),
            "searched_scale_mapping": ScaleMapping.from_scenario(searched).describe(),
            "versions": versions(),
        },
    )
    rows = [
        {
            "candidate": h["candidate"],
            "stage": h["stage"],
            **h["params"],
            **h["metrics"],
            "loss": h["loss"],
            "seeds_run": h["seeds_run"],
        }
        for h in [*cal.history, *cal.confirmed]
    ]
    replace_file(
        out / "history.csv",
        lambda tmp: pd.DataFrame(rows).to_csv(tmp, index=False, float_format="%.6g"),
    )
    if args.in_place:
        calibration.write_calibrated(source, cal.best["params"], source, note)
    print(f"best loss {cal.best['loss']:.3f} after {len(cal.history)} candidates -> {out}")
    return 0


def _validate(args: argparse.Namespace) -> int:
    import json

    from simulation import counterfactuals, validation
    from simulation.run_cache import RunCache

    parts = tuple(args.only) if args.only else validation.PARTS
    # Before hours of runs, not after them.
    if args.golden and "baseline" not in parts:
        raise ScenarioError("--golden needs the baseline part")
    if args.reset_progress:
        validation.check_target_keys(args.reset_progress)
    out = Path(args.out)
    runs = Path(args.runs) if args.runs else out.with_name(out.name + ".runs.jsonl")
    total = 0
    if "baseline" in parts or "counterfactuals" in parts:
        check_memory([load_scenario(args.baseline)], processes=args.workers)
        arms = 1 + len(counterfactuals.COUNTERFACTUALS) * ("counterfactuals" in parts)
        total = arms * args.seeds
    cache = RunCache(runs) if total else None  # the theory limits alone store nothing
    try:
        with Bar(f"validating {args.baseline}", total, quiet=args.quiet or not total) as bar:
            v = validation.validate(
                Path(args.baseline),
                Path(args.bass),
                Path(args.attachment),
                Path(args.churn),
                seeds=args.seeds,
                workers=args.workers,
                parts=parts,
                cache=cache,
                on_run=bar.advance,
            )
    finally:
        if cache is not None:
            cache.close()
    folder = validation.write_validation(v, out)
    if args.golden:
        path = Path(args.golden)
        previous = json.loads(path.read_text()) if path.exists() else None
        if previous is not None and args.reset_progress is not None:
            previous = validation.forget_progress(previous, args.reset_progress)
        path.write_text(json.dumps(validation.golden(v, previous), indent=2) + "\n")
    if len(v.table):
        print(validation.markdown(v.table))
    if v.counterfactuals:
        print(validation.markdown(v.counterfactual_table))
    failed = int((v.table["pass"] == False).sum()) if len(v.table) else 0  # noqa: E712
    print(f"{failed} check(s) failed -> {folder} (runs kept in {runs})")
    return 0


def _compare(args: argparse.Namespace) -> int:
    from simulation import compare

    baseline, *scenarios = (load_scenario(p) for p in [args.baseline, *args.scenarios])
    if args.population:  # one scale for all (the what-ifs' other keys stay as they are)
        fans, creators = args.population
        baseline, *scenarios = (
            s.model_copy(
                update={
                    "population": s.population.model_copy(
                        update={"n_fans": fans, "n_creators": creators}
                    )
                }
            )
            for s in (baseline, *scenarios)
        )
    name = args.name or "-".join(s.name for s in scenarios)
    if len(name) > 60:
        name = f"{scenarios[0].name}-and-{len(scenarios) - 1}-more"
    root = Path(args.results)
    out = inside(root, "compare", name)
    check_memory([baseline, *scenarios], processes=args.workers)
    total = (len(scenarios) + 1) * args.replicates
    with Bar(f"comparing with {baseline.name}", total, quiet=args.quiet) as bar:
        result = compare.compare(
            baseline,
            scenarios,
            replicates=args.replicates,
            steps=args.steps,
            seed=args.seed,
            workers=args.workers,
            runs_root=inside(root, "compare", "runs"),
            days=args.window,
            on_run=bar.advance,
        )
    folder = compare.write_comparison(result, out, args.command_line)
    print(compare.catalogue(result), end="")
    print(
        f"{len(scenarios)} scenario(s) vs {baseline.name}, {args.replicates} seed(s) x "
        f"{result.steps} days: {result.ran} run(s) simulated, {result.reused} reused -> "
        f"{folder / 'report.html'}"
    )
    return 0


def _sweep(args: argparse.Namespace) -> int:
    from simulation.results import write_json
    from simulation.runner import metric_names
    from simulation.sweeps import analysis, design, execute, spec, store

    sweep, base = spec.load_sweep(args.file)
    known = metric_names(base)
    unknown = [m for m in sweep.metrics if m not in known]
    if unknown:
        raise ScenarioError(
            f"{sweep.source}: key 'metrics': unknown metric(s) {', '.join(unknown)}; "
            f"expected names such as {', '.join(known[:8])} or end.<time series>"
        )
    plan = design.make_design(sweep)
    every = design.tasks(sweep, plan, base)
    out = inside(args.results, "sweeps", sweep.name)
    largest = {  # the largest market the design asks for
        k: max(t.params.get(k, t.params.get(f"population.{k}", getattr(base.population, k)))
               for t in every)
        for k in ("n_fans", "n_creators")
    }  # fmt: skip
    check_memory([spec.override(base, largest, str(sweep.source))], processes=args.workers)
    db = store.RunStore(
        out / "runs.sqlite", design.fingerprint(sweep, plan, base), reset=args.reset
    )
    lost: list = []
    try:
        if not args.export:
            done = db.done()
            todo = [t for t in every if t.run not in done]
            failed = 0
            with Bar(f"{sweep.name}: 0 failed", len(every), quiet=args.quiet) as bar:
                bar.update(completed=len(done))

                def on_row(row: store.RunRow) -> None:
                    nonlocal failed
                    failed += row.status != "ok"
                    bar.advance(description=f"{sweep.name}: {failed} failed")

                lost = execute.execute(
                    todo, db, workers=args.workers, scheduler=args.scheduler, on_row=on_row
                )
            if lost:
                print(
                    f"warning: {len(lost)} run(s) killed their worker on every attempt and are "
                    "not recorded; run the same command again to retry them",
                    file=sys.stderr,
                )
        frame = db.frame()
    finally:
        db.close()
    if args.export:
        replace_file(out / "runs.csv", lambda p: frame.to_csv(p, index=False))
        replace_file(out / "runs.parquet", lambda p: frame.to_parquet(p, index=False))
        print(f"{len(frame)} of {len(every)} run(s) exported -> {out}/runs.parquet, runs.csv")
        return 0
    table = analysis.indices(sweep, plan, frame)
    if len(table):
        replace_file(out / "sensitivity.csv", lambda p: table.to_csv(p, index=False))
        print(table.to_string(index=False, float_format=lambda x: f"{x:.3f}"))
    analysis.figures(sweep, plan, frame, table, out / "figures")
    n_failed = int((frame["status"] != "ok").sum())
    write_json(
        out / "sweep.json",
        {"sweep": sweep.model_dump(mode="json"), "runs": len(every), "failed": n_failed},
    )
    print(
        f"{sweep.name}: {len(frame)} of {len(every)} run(s) recorded, {n_failed} failed "
        f"-> {out}/runs.sqlite"
    )
    return 1 if lost else 0


def _dashboard(args: argparse.Namespace) -> int:
    import os

    env = dict(os.environ)
    if args.scenario:  # checked here: a bad file is an error now, not in the browser
        scenario = load_scenario(args.scenario)
        missing = {"douyin", "kuaishou", "wechat_channels"} - set(scenario.platforms)
        if missing or "KOC" not in scenario.roles:
            raise ScenarioError(
                f"{scenario.source}: key 'platforms': the dashboard's controls need the "
                "douyin, kuaishou and wechat_channels platforms and the KOC role "
                f"(missing: {', '.join(sorted(missing)) or 'KOC'})"
            )
        env["CREATOR_SIM_DASHBOARD_SCENARIO"] = str(Path(args.scenario).resolve())
    app = Path(__file__).resolve().parent / "dashboard.py"
    where = "every network interface" if args.host in ("0.0.0.0", "::") else args.host
    print(f"creator-sim dashboard: http://{args.host}:{args.port}/ (listening on {where}; "
          "--host to change; Ctrl-C stops it)", flush=True)  # fmt: skip
    cmd = [sys.executable, "-m", "solara", "run", str(app), "--host", args.host]
    cmd += ["--port", str(args.port), "--production", "--no-open", "--log-level", "warning"]
    os.execve(sys.executable, cmd, env)  # the Solara server replaces this process
    return 0  # pragma: no cover


def _population(text: str) -> tuple[int, int]:
    try:
        fans, creators = (int(x) for x in text.split(":"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected FANS:CREATORS, got {text!r}") from None
    if fans < 50 or creators < 4:
        raise argparse.ArgumentTypeError(f"expected at least 50 fans and 4 creators: {text}")
    return fans, creators


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text}")
    return value


def _non_negative(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {text}")
    return value


def parser() -> argparse.ArgumentParser:
    """The argument parser (also used to document the commands)."""
    p = argparse.ArgumentParser(prog="creator-sim", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run a scenario and write results/<name>/")
    run.add_argument("scenario", help="scenario TOML file")
    run.add_argument("--seed", type=_non_negative, help="seed of the first replicate")
    run.add_argument("--replicates", type=_positive, help="number of replicates")
    run.add_argument("--steps", type=_positive, help="simulated days (overrides [run] steps)")
    run.add_argument("--out", help="results folder (default results/<scenario name>)")
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    run.add_argument("--no-figures", action="store_true", help="skip figures/*.png")
    run.set_defaults(func=_run)
    check = sub.add_parser("check", help="validate scenario files without running them")
    check.add_argument("files", nargs="+")
    check.set_defaults(func=_check)
    cal = sub.add_parser(
        "calibrate",
        help="fit the free parameters to the FACTS bands (optuna, successive halving over seeds)",
    )
    cal.add_argument("scenario", nargs="?", default="scenarios/baseline.toml")
    cal.add_argument(
        "--seeds", type=_positive, default=3, help="common seeds a surviving candidate runs"
    )
    cal.add_argument("--trials", type=_positive, default=40, help="candidates to try")
    cal.add_argument(
        "--population",
        type=_population,
        metavar="FANS:CREATORS",
        help="search at this population (scale-free parameters); the fit goes to SCENARIO",
    )
    cal.add_argument(
        "--confirm",
        type=_positive,
        default=0,
        metavar="K",
        help="with --population: rerun the K best candidates at the scenario's own population "
        "(same seeds) and keep the best there",
    )
    cal.add_argument("--workers", type=_positive, default=2, help="processes")
    cal.add_argument(
        "--out",
        help="report folder (default results/calibration/<name>); its runs.sqlite keeps every "
        "run, so the same command resumes an interrupted calibration",
    )
    cal.add_argument(
        "--reset", action="store_true", help="discard the runs of another calibration in --out"
    )
    cal.add_argument(
        "--in-place", action="store_true", help="also rewrite the scenario file with the fit"
    )
    cal.add_argument("--quiet", action="store_true", help="no progress bar")
    cal.set_defaults(func=_calibrate)
    val = sub.add_parser(
        "validate", help="baseline vs FACTS bands and the theory limits -> results/validation/"
    )
    val.add_argument("--baseline", default="scenarios/baseline.toml")
    val.add_argument("--bass", default="scenarios/limits/bass.toml")
    val.add_argument("--attachment", default="scenarios/limits/preferential_attachment.toml")
    val.add_argument("--churn", default="scenarios/limits/attachment_with_churn.toml")
    val.add_argument("--seeds", type=_positive, default=10, help="baseline seeds")
    val.add_argument("--workers", type=_positive, default=2, help="processes")
    val.add_argument("--out", default="results/validation")
    val.add_argument(
        "--runs",
        help="store of finished runs, one JSON line each, read by the next validation (default: "
        "<out>.runs.jsonl beside --out); rerun the same command after an interruption to resume",
    )
    val.add_argument("--quiet", action="store_true", help="no progress bar")
    val.add_argument(
        "--only",
        nargs="+",
        choices=("baseline", "counterfactuals", "bass", "attachment", "churn"),
        help="run only these",
    )
    val.add_argument("--golden", help="also write the baseline's golden summary here (tests)")
    val.add_argument(
        "--reset-progress",
        nargs="*",
        metavar="KEY",
        help="with --golden: forget the best distances reached for these targets (all if "
        "none is named); only when a target's definition changed: say so in the commit",
    )
    val.set_defaults(func=_validate)
    cmp = sub.add_parser(
        "compare",
        help="what-if scenarios vs a baseline on common seeds -> results/compare/<name>/"
        "report.html",
    )
    cmp.add_argument("baseline", help="the baseline scenario file")
    cmp.add_argument("scenarios", nargs="+", help="what-if scenario files")
    cmp.add_argument(
        "--replicates", type=_positive, default=5, help="seeds per scenario (default 5)"
    )
    cmp.add_argument("--workers", type=_positive, default=2, help="processes (default 2)")
    cmp.add_argument("--steps", type=_positive, help="measured days (default the baseline's)")
    cmp.add_argument("--seed", type=_non_negative, help="first seed (default the baseline's)")
    cmp.add_argument(
        "--window",
        type=_positive,
        default=30,
        help="the table reads the last WINDOW measured days unless a what-if names its days",
    )
    cmp.add_argument(
        "--population",
        type=_population,
        metavar="FANS:CREATORS",
        help="run every scenario at this population (default each file's, which must agree)",
    )
    cmp.add_argument("--name", help="report folder name (default from the scenario names)")
    cmp.add_argument("--results", default="results", help="results root (default results)")
    cmp.add_argument("--quiet", action="store_true", help="no progress bar")
    cmp.set_defaults(func=_compare)
    swp = sub.add_parser(
        "sweep",
        help="a parameter sweep (SALib design) on Dask -> results/sweeps/<name>/runs.sqlite",
    )
    swp.add_argument("file", help="sweep file (TOML, scenarios/sweeps/)")
    swp.add_argument("--workers", type=_positive, default=2, help="LocalCluster worker processes")
    swp.add_argument("--scheduler", help="address of a running Dask scheduler (tcp://host:8786)")
    swp.add_argument(
        "--export", action="store_true", help="write runs.parquet and runs.csv of the runs so far"
    )
    swp.add_argument("--reset", action="store_true", help="discard recorded runs of another design")
    swp.add_argument("--results", default="results", help="results root (default results)")
    swp.add_argument("--quiet", action="store_true", help="no progress bar")
    swp.set_defaults(func=_sweep)
    dash = sub.add_parser(
        "dashboard", help="the classroom dashboard in a browser (Solara; mesa[viz])"
    )
    dash.add_argument("scenario", nargs="?", help="start from this scenario (default a lesson)")
    dash.add_argument("--port", type=_positive, default=8765, help="port (default 8765)")
    dash.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1: this machine only)",
    )
    dash.set_defaults(func=_dashboard)
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``creator-sim`` console script and ``python -m simulation``.

    Exit codes: 0 done; 1 a run raised inside the model or a file could not be written;
    2 bad input (a scenario, sweep file or option), nothing written; 128 + the signal's
    number when stopped by SIGINT (Ctrl-C) or SIGTERM, finished work kept.
    """
    args = parser().parse_args(argv)
    args.command_line = shlex.join(["creator-sim", *(sys.argv[1:] if argv is None else argv)])
    on_main_thread = threading.current_thread() is threading.main_thread()
    with stopping_on_signals() if on_main_thread else contextlib.nullcontext():
        try:
            try:
                code = args.func(args)
            except Exception:
                # After a stop, an error is the interruption's doing (an import or numba's
                # compiler stopped half-way turns it into an ImportError): report the stop.
                raise_if_stopped()
                raise
            raise_if_stopped()  # a stop whose exception a __del__ swallowed
            return code
        except ScenarioError as err:
            print(f"error: {err}", file=sys.stderr)
            return 2
        except RunError as err:
            print(f"error: {err}", file=sys.stderr)
            return 1
        except OSError as err:  # a results folder that cannot be written: disk full, permissions
            print(f"error: {err.filename or ''}: {err.strerror or err}", file=sys.stderr)
            return 1
        except (KeyboardInterrupt, Stopped) as err:
            signum = getattr(err, "signum", signal.SIGINT)
            print(
                f"interrupted ({signal.Signals(signum).name}): finished results are kept, "
                "nothing half-written is left",
                file=sys.stderr,
            )
            return 128 + signum


def console() -> int:
    """The ``creator-sim`` console script and ``python -m simulation``: :func:`main`.

    Afterwards Ctrl-C ends the process at once (killed by SIGINT): while Python shuts
    down (its modules, numba's compiler) it runs no signal handler, so a Ctrl-C in those
    last tenths of a second was lost and the command reported success. A crash of the
    interpreter itself (a fault in compiled code) prints every thread's Python stack on
    stderr (``faulthandler``) instead of ending the process without a word.
    """
    faulthandler.enable()
    code = main()
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    return code


if __name__ == "__main__":
    sys.exit(console())
