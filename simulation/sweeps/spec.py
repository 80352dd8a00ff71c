"""Sweep files: which parameters vary and how, over which seeds and days, what to keep.

A sweep file is TOML, data only (read with :mod:`tomllib`, validated by pydantic)::

    base = "../quickstart.toml"   # the scenario every run starts from
    design = "sobol"              # grid, lhs, sobol or morris
    samples = 64                  # sobol: base samples N; lhs: points; morris: trajectories
    seeds = 2                     # runs per design point
    seed = 1                      # the sweep's seed: every run's seed derives from it
    steps = 365                   # measured days (default the base's)
    metrics = ["F1", "end.follower_gini"]

    [parameters]
    trust_gain = [0.05, 0.4]                        # a range (lhs, sobol, morris)
    "platforms.douyin.algorithm.interest" = [0.1, 0.9]
    # data_driven = { values = [0.0, 0.5, 1.0] }    # a list of values (grid)

Parameters are flat model parameter names (``trust_gain``) or dotted scenario keys
(``platforms.douyin.algorithm.interest``). Errors name the file, the key and what was
expected, like a scenario's.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from simulation.scenario import (
    FLAT_PARAMS,
    Scenario,
    ScenarioError,
    format_errors,
    load_scenario,
    read_toml,
    validate,
)

DESIGNS = ("grid", "lhs", "sobol", "morris")


class Values(BaseModel):
    """An explicit list of values of one parameter (grid designs)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
    values: tuple[float, ...] = Field(min_length=1)


Bounds = Annotated[tuple[float, float], Field(description="[low, high]")]


class SweepSpec(BaseModel):
    """A validated sweep file."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
    name: str = "sweep"
    source: str | None = None
    base: str
    design: Literal[DESIGNS]
    samples: int = Field(8, ge=1, le=100_000)
    seeds: int = Field(1, ge=1, le=1_000)
    seed: int = Field(0, ge=0)
    steps: int | None = Field(None, ge=1, le=100_000)
    warmup_days: int | None = Field(None, ge=0, le=100_000)
    metrics: tuple[str, ...] = Field(min_length=1)
    parameters: dict[str, Bounds | Values] = Field(min_length=1)
    second_order: bool = False  # sobol: also the second-order indices (more runs)
    levels: int = Field(4, ge=2, le=20)  # morris: grid levels

    @model_validator(mode="after")
    def _consistent(self) -> SweepSpec:
        for key, p in self.parameters.items():
            if isinstance(p, Values) and self.design != "grid":
                raise ValueError(
                    f"parameters.{key}: a list of values needs design = 'grid' "
                    f"(a {self.design} design samples a range [low, high])"
                )
            if not isinstance(p, Values):
                if not p[0] < p[1]:
                    raise ValueError(f"parameters.{key}: range [{p[0]}, {p[1]}] needs low < high")
                if self.design == "grid":
                    raise ValueError(
                        f"parameters.{key}: a grid needs a list of values "
                        "({ values = [...] }), not a range"
                    )
        return self


def _dotted(data: dict, prefix: str = "") -> list[str]:
    """Every dotted key of a nested mapping (``platforms.douyin.algorithm.interest``...)."""
    keys = []
    for k, v in data.items():
        keys += _dotted(v, f"{prefix}{k}.") if isinstance(v, dict) else [f"{prefix}{k}"]
    return keys


def override(base: Scenario, values: dict[str, float], origin: str) -> Scenario:
    """The base scenario with parameters set (flat names or dotted keys), validated again."""
    data = base.model_dump()
    for key, value in values.items():
        path = FLAT_PARAMS[key] if key in FLAT_PARAMS else tuple(key.split("."))
        node = data
        for part in path[:-1]:
            node = node.get(part) if isinstance(node, dict) else None
        if not isinstance(node, dict) or path[-1] not in node:
            near = difflib.get_close_matches(key, [*FLAT_PARAMS, *_dotted(data)], n=1)
            hint = f"did you mean '{near[0]}'? " if near else ""
            raise ScenarioError(
                f"{origin}: key 'parameters.{key}': no such scenario key ({hint}expected a flat "
                "parameter name such as trust_gain or a dotted key such as "
                "platforms.douyin.algorithm.interest)"
            )
        node[path[-1]] = value
    return validate(data, origin=origin)


def load_sweep(path: str | Path) -> tuple[SweepSpec, Scenario]:
    """Read and validate a sweep file and its base scenario.

    Raises:
        ScenarioError: naming the file, the key and what was expected.
    """
    path = Path(path).resolve()
    data = read_toml(path, "sweep file")
    data["name"], data["source"] = path.stem, str(path)
    try:
        spec = SweepSpec.model_validate(data)
    except ValidationError as err:
        message = format_errors(
            err, str(path), "sweep file", "scenarios/sweeps/quick_lhs.toml", root=SweepSpec
        )
        raise ScenarioError(message) from None
    try:
        base = load_scenario(path.parent / spec.base)
    except ScenarioError as err:
        raise ScenarioError(f"{path}: key 'base': {err}") from None
    run = base.run.model_copy(
        update={
            "steps": spec.steps or base.run.steps,
            "warmup_days": base.run.warmup_days if spec.warmup_days is None else spec.warmup_days,
        }
    )
    base = base.model_copy(update={"run": run})
    for key, p in spec.parameters.items():  # every key and both ends of every range
        for value in p.values if isinstance(p, Values) else p:
            override(base, {key: value}, str(path))
    return spec, base
