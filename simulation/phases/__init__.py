"""The phases of one simulated day, in the order :class:`simulation.CreatorEconomy` runs them.

Each module exposes ``run(model, day)``; its docstring says what it reads and writes.
:data:`PHASES` is the order, held once, as data (``CreatorEconomy.step`` walks it).
"""

from simulation.phases import (
    budgets,
    competition,
    content,
    distribution,
    exposure,
    growth,
    purchase,
    sharing,
)

PHASES = (
    ("content", content.run),
    ("distribution", distribution.run),
    ("exposure", exposure.run),
    ("purchase", purchase.run),
    ("sharing", sharing.run),
    ("growth", growth.run),
    ("competition", competition.run),
    ("budgets", budgets.run),
)

__all__ = ["PHASES"]
