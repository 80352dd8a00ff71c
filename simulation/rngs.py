"""Named random streams derived from the model's seeded generator.

Each phase draws from its own stream, seeded from the model's ``rng`` and the phase's
name (Starsim's "common random numbers"): adding a draw to one phase does not shift the
numbers any other phase sees, so scenario comparisons stay paired.
"""

from __future__ import annotations

import zlib

import numpy as np


class Streams:
    """A fixed set of generators, one per name, all derived from one root entropy."""

    def __init__(self, root: np.random.Generator, names: tuple[str, ...]) -> None:
        entropy = int(root.integers(2**63))
        self._streams = {
            name: np.random.Generator(
                np.random.PCG64(
                    np.random.SeedSequence(entropy, spawn_key=(zlib.crc32(name.encode()),))
                )
            )
            for name in names
        }

    def __getitem__(self, name: str) -> np.random.Generator:
        return self._streams[name]
