"""creator-sim: an agent-based model of the Chinese creator economy and live-stream commerce.

Public API::

    from simulation import CreatorEconomy, load_scenario, run_scenario
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("creator-sim")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

# The model (NumPy, numba, Mesa) is imported on first use, not with the package: the
# command line starts in a fraction of a second, checks its input and sets up its
# signal handling before anything heavy loads.
_LAZY = {
    "CreatorEconomy": "simulation.model",
    "run_model": "simulation.runner",
    "run_scenario": "simulation.runner",
    "Scenario": "simulation.scenario",
    "ScenarioError": "simulation.scenario",
    "load_scenario": "simulation.scenario",
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'simulation' has no attribute {name!r}")


__all__ = [
    "CreatorEconomy",
    "Scenario",
    "ScenarioError",
    "__version__",
    "load_scenario",
    "run_model",
    "run_scenario",
]
