"""Mesa agents: real ``mesa.Agent`` objects a user can list and inspect.

Their state lives in the model's NumPy arrays (row ``index``) so each phase acts on whole
populations at once; the agents' properties read that state. Agents have no ``step``:
``CreatorEconomy.step`` runs the day's phases over all of them.
"""

from simulation.agents.brand import Brand
from simulation.agents.creator import Creator
from simulation.agents.fan import Fan
from simulation.agents.platform import Platform

__all__ = ["Brand", "Creator", "Fan", "Platform"]
