"""Building a whole document at once (the record of processing, the annual report, their files)
makes hundreds of thousands of small objects that reference counting frees by itself. Python's
cyclic collector would meanwhile walk the whole heap again and again for nothing: about a third of
the time such a build takes. ``paused_gc`` holds it off for the build; it runs as usual after."""

from __future__ import annotations

import contextlib
import functools
import gc
from typing import Awaitable, Callable, Iterator, ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """Holds off the cyclic garbage collector until the block ends. Overlapping blocks (two
    requests at once) are fine: whoever paused it first turns it on again."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def gc_paused(function: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[T]]:
    """``paused_gc`` around a coroutine function."""

    @functools.wraps(function)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        with paused_gc():
            return await function(*args, **kwargs)

    return wrapper
