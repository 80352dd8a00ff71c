"""Pure NumPy rules acting on whole populations, one module per mechanism (FACTS 1-6).

Each function takes arrays and a generator and returns arrays, so it can be tested
without building a model. :mod:`simulation.model` calls them in the order of a day.

The compiled kernels (numba) live here too. Importing the package first makes stop signals
wait while the main thread loads or compiles one (``_NoStopInCompiler``), before any
module of it compiles a kernel at import.
"""

import threading

import numba.core.event

from simulation.folders import defer_stops


class _NoStopInCompiler(numba.core.event.Listener):
    """Stop signals wait while the main thread holds (or waits for) numba's compiler lock.

    numba takes that lock to load a kernel from its cache or compile it, at a kernel's
    first call (or at import for a ufunc); an exception from a signal handler raised there
    broke numba's state (``folders.defer_stops``). A loaded kernel never takes the lock.
    """

    def on_start(self, event: numba.core.event.Event) -> None:
        if threading.current_thread() is threading.main_thread():
            defer_stops(True)

    def on_end(self, event: numba.core.event.Event) -> None:
        if threading.current_thread() is threading.main_thread():
            defer_stops(False)


numba.core.event.register("numba:compiler_lock", _NoStopInCompiler())
