"""A sweep's design: its points (SALib samplers, or a full grid) and its runs with their seeds.

Run ``i`` is design point ``i // seeds``, replicate ``i % seeds``; its seed derives from
the sweep's seed and ``i`` alone (:class:`numpy.random.SeedSequence`), so a run gives the
same result whichever worker runs it, in whatever order, in one go or after a resume.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from dataclasses import dataclass

import numpy as np
from SALib.sample import latin, morris, sobol

from simulation.results import content_hash
from simulation.scenario import Scenario
from simulation.sweeps.spec import SweepSpec


@dataclass(frozen=True)
class Design:
    """The points a sweep runs, in SALib's order (its analyses need that order)."""

    names: tuple[str, ...]  # parameters, in the sweep file's order
    points: np.ndarray  # (points, parameters) values
    problem: dict  # SALib's problem: names, bounds (ranges only)


@dataclass(frozen=True)
class RunTask:
    """One run of a sweep: what a worker needs, and nothing more."""

    run: int  # index in the sweep
    point: int  # design point
    replicate: int  # replicate of that point
    seed: int
    params: dict[str, float]
    scenario: dict  # the base scenario (model_dump); the worker applies params
    origin: str  # the sweep file, for error messages
    metrics: tuple[str, ...]


def make_design(spec: SweepSpec) -> Design:
    """The design points of a sweep file (deterministic: SALib's samplers get its seed)."""
    names = tuple(spec.parameters)
    if spec.design == "grid":
        lists = [spec.parameters[n].values for n in names]  # type: ignore[union-attr]
        points = np.array(list(itertools.product(*lists)), dtype=float)
        return Design(names, points, {"num_vars": len(names), "names": list(names)})
    bounds = [list(spec.parameters[n]) for n in names]  # ranges (validated)
    problem = {"num_vars": len(names), "names": list(names), "bounds": bounds}
    if spec.design == "lhs":
        points = latin.sample(problem, spec.samples, seed=spec.seed)
    elif spec.design == "sobol":
        points = sobol.sample(
            problem, spec.samples, calc_second_order=spec.second_order, seed=spec.seed
        )
    else:
        points = morris.sample(problem, spec.samples, num_levels=spec.levels, seed=spec.seed)
    return Design(names, np.asarray(points, dtype=float), problem)


def run_seed(sweep_seed: int, run: int) -> int:
    """The seed of run ``run``: from the sweep's seed and the run's index only."""
    return int(np.random.SeedSequence([sweep_seed, run]).generate_state(1, np.uint32)[0])


def tasks(spec: SweepSpec, design: Design, base: Scenario) -> list[RunTask]:
    """Every run of the sweep, in order."""
    scenario = base.model_dump()
    out = []
    for point, values in enumerate(design.points):
        params = {n: float(v) for n, v in zip(design.names, values, strict=True)}
        for r in range(spec.seeds):
            i = point * spec.seeds + r
            out.append(
                RunTask(
                    i, point, r, run_seed(spec.seed, i), params, scenario,
                    spec.source or spec.name, spec.metrics,
                )
            )  # fmt: skip
    return out


def fingerprint(spec: SweepSpec, design: Design, base: Scenario) -> str:
    """What the sweep's rows depend on: design points, seeds, days, metrics, base and code.

    A database made with another fingerprint holds runs of another design; mixing them
    would make a wrong analysis, so a sweep refuses unless told to start over.
    """
    key = {
        "names": design.names,
        "points": hashlib.sha256(np.ascontiguousarray(design.points).tobytes()).hexdigest(),
        "seeds": spec.seeds,
        "seed": spec.seed,
        "metrics": spec.metrics,
        "base": content_hash(base, [], base.run.steps),
    }
    return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()
