"""One private world (PostgreSQL, Redis, web and worker processes) for the whole fault suite."""

from __future__ import annotations

import pytest

from tests.faults.world import World


@pytest.fixture(scope="package")
async def world(tmp_path_factory):
    world = World(tmp_path_factory.mktemp("faults"))
    try:
        await world.start()
        yield world
    finally:
        await world.stop()
