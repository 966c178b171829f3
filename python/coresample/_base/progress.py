"""The `progress=` option of long calls: None or False (silent), True, or a callable.

True shows a tqdm bar per phase when tqdm is installed (tqdm.auto: a widget in notebooks) and
otherwise writes a line per phase to stderr at most twice a second; nothing is ever written by
the C++ core itself. A callable is called as callback(phase, done, total) from the calling thread:
phases "k-means++" (centers chosen) and "lloyd" (iterations, total = max_iter: the loop may stop
early) come from the clustering (the core's C++ loops, or the reference's Python loops),
"assign", "oracle", "sample" from select. A callback that raises stops
the call with its exception.
"""
from __future__ import annotations

import contextlib
import sys
import threading
import time
from typing import Any, Callable, Iterator, Optional

Callback = Callable[[str, int, int], None]
_state = threading.local()  # the callback of the call in progress on this thread (nesting)


class _Lines:
    """Lines on stderr, rate-limited."""

    def __init__(self) -> None:
        self._last = 0.0
        self._phase = ""

    def __call__(self, phase: str, done: int, total: int) -> None:
        now = time.monotonic()
        if phase != self._phase or done >= total or now - self._last >= 0.5:
            self._last, self._phase = now, phase
            print(f"coresample: {phase} {done}/{total}", file=sys.stderr, flush=True)

    def close(self) -> None:
        pass


class _Bars:
    """One tqdm bar per phase."""

    def __init__(self, tqdm: Any) -> None:
        self._tqdm = tqdm
        self._bar: Any = None
        self._phase = ""

    def __call__(self, phase: str, done: int, total: int) -> None:
        if self._bar is None or phase != self._phase:
            self.close()
            self._bar = self._tqdm(total=total, desc=f"coresample {phase}", leave=False)
            self._phase = phase
        self._bar.update(done - self._bar.n)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def current() -> Optional[Callback]:
    """The callback of the call in progress on this thread (the reference's loops report to it)."""
    return getattr(_state, "callback", None)


def make_callback(progress: Any) -> Optional[Callback]:
    """None for None/False; the callable itself; for True a tqdm or stderr reporter."""
    if progress is None or progress is False:
        return None
    if progress is True:
        try:
            from tqdm.auto import tqdm
        except ImportError:
            return _Lines()
        return _Bars(tqdm)
    if callable(progress):
        return progress
    raise TypeError(f"progress must be None, a bool or a callable(phase, done, total), got {progress!r}")


@contextlib.contextmanager
def reporting(progress: Any, set_core_callback: Optional[Callable[[Any], None]] = None) -> Iterator[Optional[Callback]]:
    """Resolves `progress` and, for the core, routes the C++ loops' reports to it for the call.
    A call nested in another one's reporting (select_adaptive -> select) keeps the outer callback."""
    outer = getattr(_state, "callback", None)
    callback = outer if outer is not None else make_callback(progress)
    if callback is None or outer is not None:
        yield callback
        return
    _state.callback = callback
    if set_core_callback is not None:
        set_core_callback(callback)
    try:
        yield callback
    finally:
        if set_core_callback is not None:
            set_core_callback(None)
        _state.callback = None
        close = getattr(callback, "close", None)
        if callable(close):
            close()
