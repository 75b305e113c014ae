"""Ctrl-C around a database write: the write ends whole, then the run is interrupted."""

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def ctrl_c_held() -> Iterator[None]:
    """Hold a Ctrl-C back until the block is done, then raise its KeyboardInterrupt."""
    # A KeyboardInterrupt inside a SQLAlchemy commit can come out as another error (a
    # ResourceClosedError from the transaction's cleanup): the run would be marked failed, not
    # interrupted. Only the main thread gets KeyboardInterrupt (and may set handlers), and a
    # caller's own Ctrl-C handler is left alone.
    if (threading.current_thread() is not threading.main_thread()
            or signal.getsignal(signal.SIGINT) is not signal.default_int_handler):
        yield
        return
    pressed: list[int] = []
    # signal.signal runs a pending handler before it swaps: no Ctrl-C is lost in between.
    signal.signal(signal.SIGINT, lambda signum, _frame: pressed.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)
        if pressed:
            raise KeyboardInterrupt
