"""creator-sim: an agent-based model of the Chinese creator economy and live-stream commerce.

Public API::

    from simulation import CreatorEconomy, load_scenario, run_scenario
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("creator-sim")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

from simulation.model import CreatorEconomy
from simulation.runner import run_model, run_scenario
from simulation.scenario import Scenario, ScenarioError, load_scenario

__all__ = [
    "CreatorEconomy",
    "Scenario",
    "ScenarioError",
    "__version__",
    "load_scenario",
    "run_model",
    "run_scenario",
]
