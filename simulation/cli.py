"""The ``creator-sim`` command line: ``run`` a scenario, ``check`` scenario files."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from simulation.scenario import ScenarioError, load_scenario


def _run(args: argparse.Namespace) -> int:
    from simulation.results import write_results
    from simulation.runner import run_scenario

    scenario = load_scenario(args.scenario)
    out = Path(args.out) if args.out else Path("results") / scenario.name
    result = run_scenario(
        scenario,
        seed=args.seed,
        replicates=args.replicates,
        steps=args.steps,
        progress=not args.quiet,
    )
    folder = write_results(result, out, figures=not args.no_figures)
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
            f"{s.run.steps} days, seed {s.run.seed}"
        )
    return 0


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
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``creator-sim`` console script and ``python -m simulation``."""
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except ScenarioError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: nothing was written", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
