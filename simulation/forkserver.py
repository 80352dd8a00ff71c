"""What the forkserver imports once, before it forks the worker processes of a pool.

Imported by the forkserver process only (:func:`simulation.runner.worker_pool` names it
as the server's preload), never by a program: it makes the process that imports it
ignore Ctrl-C. The server is started by a command the user may be interrupting, and a
Ctrl-C reaches every process of the terminal's group; the server ignores it anyway once
it is up (``multiprocessing.forkserver.main``), and so do the workers it forks
(``folders.worker_signals``), but not while it imports what follows, which takes seconds.
Every worker forked from it then starts with NumPy, pandas, Mesa, numba and the model
already imported, in hundredths of a second instead of the two seconds each one took to
import them (``benchmarks/README.md``).
"""

import signal

signal.signal(signal.SIGINT, signal.SIG_IGN)

import simulation.runner  # noqa: E402, F401  (the import is this module's purpose)
