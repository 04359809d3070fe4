"""Ctrl-C stops a run cleanly while numba compiles or first runs a kernel.

The model's kernels are compiled on first use and cached on disk (``cache=True``), so the first
run after an install or an upgrade spends several seconds compiling. Numba writes the cache from a
ctypes callback, and a KeyboardInterrupt raised inside it cannot propagate: Python prints a
traceback ("Exception ignored on calling ctypes callback function") and drops the interrupt, and
the half-compiled kernel then fails with "no compiled object yet". Measured on the town with an
empty cache, Ctrl-C at 3.7 s let the run finish as if nothing happened, and at 5.5 s and 7 s it
stored a failed replicate, each time with that traceback.

While numba holds its compiler lock (every compilation and cache write happens under it), an
interrupt is therefore only noted; when the outermost lock is released, the interrupt is raised
as usual. Compiling a kernel takes under a second, so Ctrl-C still answers at once. A second
path is handled where replicates fail (``caused_by_interrupt``).
"""

from __future__ import annotations

import signal
import threading

_installed = False


def defer_interrupts_while_compiling() -> None:
    """Install, once per process, the listener that defers SIGINT while numba compiles. Only the
    main thread's handler matters (Python runs signal handlers there); a SIGINT that is ignored or
    handled by something else than Python's default is left alone."""
    global _installed
    if _installed:
        return
    from numba.core import event

    class _Defer(event.Listener):
        def __init__(self) -> None:
            self.depth = 0
            self.pending = False
            self.saved = None

        def on_start(self, ev) -> None:
            if threading.current_thread() is not threading.main_thread():
                return
            self.depth += 1
            if self.depth == 1 and signal.getsignal(signal.SIGINT) is signal.default_int_handler:
                self.saved = signal.signal(signal.SIGINT, self._note)

        def on_end(self, ev) -> None:
            if threading.current_thread() is not threading.main_thread() or self.depth == 0:
                return
            self.depth -= 1
            if self.depth or self.saved is None:
                return
            signal.signal(signal.SIGINT, self.saved)
            self.saved = None
            if self.pending:
                self.pending = False
                raise KeyboardInterrupt

        def _note(self, signum, frame) -> None:
            self.pending = True

    event.register("numba:compiler_lock", _Defer())
    _installed = True


def caused_by_interrupt(exc: BaseException) -> bool:
    """Whether ``exc`` was caused by an interrupt. A compiled kernel calls back into Python the
    first time it needs some of its constants (numba's ``_numba_unpickle``); a Ctrl-C handled
    there cannot propagate through the machine code, which returns, and numba then reports a
    SystemError ("returned a result with an exception set") whose cause is the KeyboardInterrupt.
    Seen once in 15 interrupted first runs on the town."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, KeyboardInterrupt):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False
