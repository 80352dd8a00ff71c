"""Pure NumPy rules acting on whole populations, one module per mechanism (FACTS 1-6).

Each function takes arrays and a generator and returns arrays, so it can be tested
without building a model. :mod:`simulation.model` calls them in the order of a day.

The compiled kernels (numba) live here too. Importing the package first makes stop signals
wait while any thread loads or compiles one (``_NoStopInCompiler``), before any module of
it compiles a kernel at import.
"""

import numba.core.event

from simulation.folders import defer_stops


class _NoStopInCompiler(numba.core.event.Listener):
    """Stop signals wait while any thread holds (or waits for) numba's compiler lock.

    numba takes that lock to load a kernel from its cache or compile it, at a kernel's
    first call (or at import for a ufunc); an exception from a signal handler raised there
    broke numba's state (``folders.defer_stops``). The block threads
    (:mod:`simulation.mechanisms.blocks`) call kernels for the first time too: a stop raised
    in the main thread meanwhile would unwind it, and end the process, while another thread
    is inside numba's loader. A loaded kernel never takes the lock.
    """

    def on_start(self, event: numba.core.event.Event) -> None:
        defer_stops(True)

    def on_end(self, event: numba.core.event.Event) -> None:
        defer_stops(False)


numba.core.event.register("numba:compiler_lock", _NoStopInCompiler())
