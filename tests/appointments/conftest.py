from __future__ import annotations

import pytest

from connectors.pms.fhir_server import FhirTestServer
from tests.fixtures.pms import connect_practice


@pytest.fixture
async def fhir_server():
    server = await FhirTestServer().start()
    yield server
    await server.stop()


@pytest.fixture
async def connected(domain, fhir_server):
    return await connect_practice(domain, fhir_server)
