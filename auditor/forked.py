"""Work done in a forked child, on another core: reading or judging some of a large audit's units.

Evaluation is pure Python and holds the GIL: 5,000 DB instances take seconds of findings, one
unit after another, while the machine's other cores idle. Units share nothing, and the
inventory is already in memory, so a child made with fork(2) has its own copy at no cost and
can judge some units while the parent judges the others. A child's answer comes back pickled
through a pipe, after the progress it reports there as it goes (``tick``); an OSError in the
child is raised again in the parent as the same OSError, anything else as ChildFailed. A child
writes no file and renames nothing.

The report formats are not rendered this way: a child rendering the report dict touches every
object in it, so copy-on-write gives it a private copy of the dict (a 5,000-DB replay's
processes then held 580-760 MB together instead of 370 MB, for 1 s less).

Used only where fork is dependable: Linux, more than one usable core, and no other thread in
the process (a thread holding a lock at fork time would leave the child deadlocked).
"""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
import select
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

K = TypeVar("K")


def cores() -> int:
    """Usable cores for children, 1 where forking is not dependable (see the module)."""
    if sys.platform != "linux" or not _alone():
        return 1
    try:
        return len(os.sched_getaffinity(0))
    except OSError:  # pragma: no cover - sched_getaffinity exists on Linux
        return 1


def _alone(wait_s: float = 0.05) -> bool:
    """No other thread in the process, Python's or the system's. A thread that Python has
    joined can still be finishing its exit for a moment: it could hold a C library lock at
    the fork (a child that then mallocs would hang), and it takes signals meant for the
    process. It is waited for, briefly; a thread still alive after that means no fork."""
    if threading.active_count() != 1:
        return False
    until = time.monotonic() + wait_s
    while True:
        try:
            if len(os.listdir("/proc/self/task")) == 1:
                return True
        except OSError:  # no /proc: Python's count is all there is
            return True
        if time.monotonic() >= until:
            return False
        time.sleep(0.001)


_TICK = b"+"  # a child's "one more done", sent ahead of its answer on the same pipe
_tick_to: int | None = None  # in a child: where tick() writes (its pipe); None elsewhere


def tick() -> None:
    """In a child: tell the parent one more piece of the work is done (``Child.ticks``).
    Elsewhere, nothing: the same work done in the parent counts its progress itself."""
    if _tick_to is not None:
        os.write(_tick_to, _TICK)


class ChildFailed(Exception):
    """A child that ended without its answer (not an OSError of its own)."""


class Child:
    """A child that does ``work`` in its own process once ``start``ed; ``result`` is what the
    work returned, or raises why not. Made before it starts so that the caller holds it before
    any process exists: a signal arriving as it forks can then never leave a child running."""

    def __init__(self, name: str, work: Callable[[], Any]) -> None:
        self.name, self.work = name, work
        self.pid, self.reader = 0, -1
        self._ticks, self._said, self._answering, self._ended = 0, bytearray(), False, False

    def start(self) -> Child:
        """Fork the child; OSError when no child can be made. SIGINT and SIGTERM are held
        from just before the fork until the child's pid is recorded, then handled as they
        would have been, so an interrupt finds either no child or one that ``stop`` can end.
        Held twice: blocked (the child starts with them blocked, until its own handlers are
        set) and, in the main thread, caught by a handler that only notes them (a signal
        another thread took has Python run its handler at any line of this one, the line
        between the fork and the pid's recording included)."""
        noted: list[int] = []
        handlers = _note_signals(noted)
        held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
        try:
            reader, writer = os.pipe()
            try:
                pid = os.fork()
            except OSError:  # no child (a process limit, memory): the caller does the work
                os.close(reader)
                os.close(writer)
                raise
            if pid == 0:
                os.close(reader)
                _run(self.work, writer, held)  # never returns
            os.close(writer)
            self.pid, self.reader = pid, reader
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, held)  # a blocked one is noted here
            for number, handler in handlers.items():
                signal.signal(number, signal.SIG_DFL if handler is None else handler)
            for number in dict.fromkeys(noted):
                signal.raise_signal(number)  # now to its own handler
        return self

    def fileno(self) -> int:
        """The pipe the child answers on (for select)."""
        return self.reader

    @property
    def ended(self) -> bool:
        """Its answer is in full (or it closed the pipe without one)."""
        return self._ended

    def ticks(self) -> int:
        """How many times the child has called ``tick()`` so far, without waiting."""
        while not self._ended and self.reader >= 0 and select.select([self.reader], [], [], 0)[0]:
            self._take(os.read(self.reader, 1 << 20))
        return self._ticks

    def _take(self, chunk: bytes) -> None:
        if not chunk:
            self._ended = True
        elif self._answering:
            self._said += chunk
        else:
            answer = chunk.lstrip(_TICK)
            self._ticks += len(chunk) - len(answer)
            if answer:
                self._answering = True
                self._said += answer

    def result(self) -> Any:
        """The child's return value; OSError when its work raised one (as the same work done
        here would have), ChildFailed when it broke or was killed."""
        try:
            while not self._ended:
                self._take(os.read(self.reader, 1 << 20))
        finally:
            self._close()
        _, status = os.waitpid(self.pid, 0)
        self.pid = 0
        said = bytes(self._said)
        self._said = bytearray()
        kind, _, rest = said.partition(b"\0")
        if os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0 and kind == b"ok":
            return pickle.loads(rest)
        if kind == b"OSError":
            number, _, reason = rest.decode("utf-8", "replace").partition("\0")
            raise OSError(int(number or 0), reason)
        if os.WIFSIGNALED(status):
            raise ChildFailed(f"the {self.name} child ended on signal {os.WTERMSIG(status)}")
        reason, _, trace = rest.decode("utf-8", "replace").partition("\n")
        logging.getLogger(__name__).debug("the %s child's traceback:\n%s", self.name, trace)
        raise ChildFailed(f"the {self.name} child failed: {reason or 'no reason given'}")

    def stop(self) -> None:
        """Kill and reap the child if it is still running (the parent is failing)."""
        if self.pid:
            with contextlib.suppress(ProcessLookupError, ChildProcessError):
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
            self.pid = 0
        self._close()

    def _close(self) -> None:
        if self.reader >= 0:  # once: the number may be another file's after it is closed
            os.close(self.reader)
            self.reader = -1


def start_each(
    name: str, works: Sequence[tuple[K, Callable[[], Any]]], started: list[tuple[K, Child]]
) -> list[K]:
    """A child for each (key, work), each put in ``started`` before it exists (so that the
    caller, stopping every child in ``started`` on its way out, never leaves one running);
    the keys no child could be made for (a process limit, memory), whose work the caller
    does itself."""
    here: list[K] = []
    for key, work in works:
        child = Child(name, work)
        started.append((key, child))
        try:
            child.start()
        except OSError as exc:
            started.pop()
            logging.getLogger(__name__).debug("no %s child, the work done here: %s", name, exc)
            here.append(key)
    return here


def _note_signals(noted: list[int]) -> dict[int, Any]:
    """In the main thread: SIGINT and SIGTERM only noted until the handlers returned are put
    back. Elsewhere nothing (Python runs handlers in the main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        return {}
    return {
        number: signal.signal(number, lambda signum, _frame: noted.append(signum))
        for number in (signal.SIGINT, signal.SIGTERM)
    }


def _run(work: Callable[[], Any], writer: int, held: set[int | signal.Signals]) -> None:
    """In the child: the parent's handlers (SIGTERM raising into the CLI) are not its own, and
    it leaves by os._exit, never through the parent's atexit handlers or buffered output."""
    global _tick_to
    status, said = 1, b""
    _tick_to = writer
    try:
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_SETMASK, held)
        said = b"ok\0" + pickle.dumps(work(), protocol=pickle.HIGHEST_PROTOCOL)
        status = 0
    except OSError as exc:
        said = f"OSError\0{exc.errno or 0}\0{exc.strerror or exc}".encode("utf-8", "replace")
    except Exception as exc:  # noqa: BLE001 - a defect: the parent raises it, with this text
        summary = " ".join(f"{type(exc).__name__}: {exc}".split())  # one line for the parent
        text = f"error\0{summary}\n{traceback.format_exc()}"
        said = text.encode("utf-8", "replace")
    finally:
        _tick_to = None  # the answer follows: no tick may land inside it
        try:
            view = memoryview(said)
            while view:
                view = view[os.write(writer, view) :]
        finally:
            os._exit(status)
