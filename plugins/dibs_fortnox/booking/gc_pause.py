"""Pause Python's cyclic garbage collector while a day is read into columns.

Reading a day builds millions of short-lived tuples and lists next to the day's raw
Nets dicts. CPython starts a collection after every few hundred new containers, and
every so often a full one that walks every tracked object, the hundreds of megabytes of
input included, only to find nothing: the transform makes no reference cycles, so
reference counting frees everything it drops. On a million payment actions these
collections took about 40 % of the transform (``make bench``, ``transform-1m``).

Nothing is leaked by pausing: objects in cycles made meanwhile (by a library, say) are
collected at the next collection after the pause, which starts again on the way out,
even when the body raises. A pause inside a pause leaves the outer one in charge.

Example:
    >>> gc.isenabled()
    True
    >>> with collector_paused():
    ...     gc.isenabled()
    False
    >>> gc.isenabled()
    True
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Disable the cyclic collector for the block; restore it as it was."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
