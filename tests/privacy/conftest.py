from tests.channels.conftest import loopback_only  # noqa: F401 - any other network call fails
