"""The `progress=` option of long calls: None or False (silent), True, or a callable.

True shows a tqdm bar per phase when tqdm is installed (tqdm.auto: a widget in notebooks) and
otherwise writes `LineReporter` lines to stderr; nothing is ever written by the C++ core itself.
A callable is called as callback(phase, done, total) from the calling thread:
phases "k-means++" (centers chosen) and "lloyd" (iterations, total = max_iter: the loop may stop
early) come from the clustering (the core's C++ loops, or the reference's Python loops),
"assign", "oracle", "sample" from select. A callback that raises stops
the call with its exception.

`LineReporter` is also the `coresample` command's progress: its own phases and the library's
reports in one line format, `[coresample    1.51s] k-means++ 2/500` (issue 13, item 6).
"""
from __future__ import annotations

import contextlib
import sys
import threading
import time
from typing import Any, Callable, Dict, Iterable, Iterator, Optional, TextIO

Callback = Callable[[str, int, int], None]
_state = threading.local()  # the callback of the call in progress on this thread (nesting)


class LineReporter:
    """Progress as lines on stderr, one format for everything: ``[coresample    1.51s] text``.

    The elapsed time counts from the reporter's creation. The same object takes the library's
    reports (call it as ``reporter(phase, done, total)``; the text is ``phase done/total``), the
    command line's phases (`phase`) and notes (`message`), and loops over items (`iterate`).
    The first report of a phase is written at once, and so is a report with done >= total; the
    others at most once every `interval` seconds, and the last one left unwritten is written
    before anything else (the next phase, a message, `close`), so a phase's final count shows.
    On a terminal the reports of one phase rewrite a single line (``\\r``); in a file or a pipe
    each is a line of its own, so logs read like the screen.

    Parameters
    ----------
    stream : text file, default=None
        Where lines go; None: sys.stderr at the time of writing. Never stdout, which carries the
        command line's summary.
    quiet : bool, default=False
        Write nothing at all.
    interval : float, default=0.5
        Seconds between two written reports of the same phase.
    clock : callable, default=time.monotonic
        Seconds, for the elapsed times and the interval (tests pass a fake one).
    """

    def __init__(
        self,
        stream: Optional[TextIO] = None,
        *,
        quiet: bool = False,
        interval: float = 0.5,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.quiet = quiet
        self._stream = stream
        self._interval = interval
        self._clock = clock
        self._t0 = clock()
        self._phase = ""  # the phase of the last report ("" after close: the next one is new)
        self._last = 0.0  # when a report of that phase was last written
        self._pending: Optional[str] = None  # its latest report, when not written yet
        self._open = 0  # width of the unterminated in-place line on a terminal (0: none)

    @property
    def stream(self) -> TextIO:
        return self._stream if self._stream is not None else sys.stderr

    def _line(self, text: str) -> str:
        return f"[coresample {self._clock() - self._t0:7.2f}s] {text}"

    def _tty(self) -> bool:
        isatty = getattr(self.stream, "isatty", None)
        try:
            return bool(isatty()) if callable(isatty) else False
        except ValueError:  # a closed stream
            return False

    def _write_report(self, text: str) -> None:
        line = self._line(text)
        if self._tty():  # rewrite the phase's line in place, blanking what a longer one left
            self.stream.write("\r" + line.ljust(self._open))
            self._open = max(len(line), 1)
        else:
            self.stream.write(line + "\n")
        self.stream.flush()
        self._pending = None
        self._last = self._clock()

    def _settle(self) -> None:
        """Write the report left pending and end an in-place line: the screen shows the last
        count before anything else is written."""
        if self._pending is not None:
            self._write_report(self._pending)
        if self._open:
            self.stream.write("\n")
            self.stream.flush()
            self._open = 0

    def __call__(self, phase: str, done: int, total: int) -> None:
        if self.quiet:
            return
        text = f"{phase} {done}/{total}"
        if phase != self._phase:
            self._settle()
            self._phase = phase
            self._write_report(text)  # the first report of a phase: at once
        elif done >= total or self._clock() - self._last >= self._interval:
            self._write_report(text)
        else:
            self._pending = text

    def message(self, text: str) -> None:
        """One line, at once (after the pending report)."""
        if self.quiet:
            return
        self._settle()
        self.stream.write(self._line(text) + "\n")
        self.stream.flush()

    @contextlib.contextmanager
    def phase(self, name: str, detail: str = "") -> Iterator[Dict[str, str]]:
        """Announce a phase at once, then its end with the time it took; yields a dict whose
        "done" entry the caller may set to a closing detail."""
        info: Dict[str, str] = {"done": ""}
        self.message(f"{name}: {detail} ..." if detail else f"{name} ...")
        start = self._clock()
        yield info
        end = f", {info['done']}" if info["done"] else ""
        self.message(f"{name}: done in {self._clock() - start:.2f} s{end}")

    def iterate(
        self, items: Iterable[Any], total: int, desc: str, unit: str = "it"
    ) -> Iterable[Any]:
        """`items`, reported as phase `desc` (done/total items; `unit` is not shown)."""
        if self.quiet or total <= 1:
            return items
        return self._iterate(items, total, desc)

    def _iterate(self, items: Iterable[Any], total: int, desc: str) -> Iterator[Any]:
        self(desc, 0, total)
        for done, item in enumerate(items, 1):
            yield item
            self(desc, done, total)

    def close(self) -> None:
        """Write what is pending; the next report starts a new phase (called at the end of
        each library call that reported to this object)."""
        if not self.quiet:
            self._settle()
        self._phase = ""


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
            return LineReporter()
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
