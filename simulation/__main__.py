"""``python -m simulation`` runs the ``creator-sim`` command line."""

import sys

from simulation.cli import main

sys.exit(main())
