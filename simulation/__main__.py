"""``python -m simulation`` runs the ``creator-sim`` command line."""

import sys

from simulation.cli import console

sys.exit(console())
