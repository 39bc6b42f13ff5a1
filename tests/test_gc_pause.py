"""The cyclic collector is held off only while a large document is built, and always comes back."""

import asyncio
import gc

import pytest

from catalogue.gc_pause import gc_paused, paused_gc


def test_the_collector_is_paused_for_the_build_and_back_after_it_even_on_error():
    assert gc.isenabled()
    with paused_gc():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(ValueError):
        with paused_gc():
            raise ValueError("the build failed")
    assert gc.isenabled()


def test_overlapping_builds_leave_the_collector_on_when_both_are_done():
    seen = []

    @gc_paused
    async def build(wait: asyncio.Event, done: asyncio.Event) -> None:
        seen.append(gc.isenabled())
        await wait.wait()
        done.set()

    async def both() -> None:
        first_go, second_go, first_done, second_done = (asyncio.Event() for _ in range(4))
        tasks = [asyncio.create_task(build(first_go, first_done)), asyncio.create_task(build(second_go, second_done))]
        await asyncio.sleep(0)
        first_go.set()
        await first_done.wait()
        second_go.set()
        await asyncio.gather(*tasks)

    asyncio.run(both())
    assert seen == [False, False] and gc.isenabled()
