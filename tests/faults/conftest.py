from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.channels.conftest import loopback_only  # noqa: F401 - any other network call fails
from tests.faults.postgres import OwnPostgres, own_postgres


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[OwnPostgres]:
    """One server of our own for the fault tests; each test makes its own database."""
    with own_postgres() as server:
        yield server
