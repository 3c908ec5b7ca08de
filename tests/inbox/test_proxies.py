"""Whose address the login lockout counts: X-Forwarded-For only from TRUSTED_PROXIES."""

from __future__ import annotations

from unittest import mock

import pytest
from aiohttp.test_utils import make_mocked_request

from bot.config import SettingsError, load_settings
from bot.inbox.proxies import client_address
from tests.harness import SECRET

COMPOSE_BRIDGE = ("172.16.0.0/12", "127.0.0.1/32", "::1/128")


def request_from(remote: str, forwarded: str | None = None):  # noqa: ANN201
    transport = mock.Mock()
    transport.get_extra_info.side_effect = lambda key, default=None: (
        (remote, 40000) if key == "peername" else default
    )
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    return make_mocked_request("POST", "/inbox/login", headers=headers, transport=transport)


CASES = [
    ("a client straight in", "203.0.113.5", None, "203.0.113.5"),
    ("a client writing the header itself", "203.0.113.5", "198.51.100.1", "203.0.113.5"),
    ("the compose bridge's proxy", "172.18.0.1", "198.51.100.1", "198.51.100.1"),
    ("a forged entry before the proxy's", "172.18.0.1", "10.0.0.1, 198.51.100.1", "198.51.100.1"),
    ("two trusted hops", "127.0.0.1", "198.51.100.1, 172.18.0.1", "198.51.100.1"),
    ("garbage from the proxy", "172.18.0.1", "not-an-ip", "not-an-ip"),
]


@pytest.mark.parametrize(("label", "remote", "forwarded", "expected"), CASES)
def test_the_address_is_the_one_the_first_untrusted_hop_had(
    label: str, remote: str, forwarded: str | None, expected: str
) -> None:
    assert client_address(request_from(remote, forwarded), COMPOSE_BRIDGE) == expected, label


def test_by_default_only_a_proxy_on_this_host_is_trusted() -> None:
    settings = load_settings({"SECRET_KEY": SECRET}, env_file=None)
    assert settings.trusted_proxies == ("127.0.0.1/32", "::1/128")
    request = request_from("172.18.0.1", "198.51.100.1")
    assert client_address(request, settings.trusted_proxies) == "172.18.0.1"


def test_trusted_proxies_are_read_and_checked() -> None:
    env = {"SECRET_KEY": SECRET, "TRUSTED_PROXIES": "172.16.0.0/12, 10.1.2.3"}
    assert load_settings(env, env_file=None).trusted_proxies == ("172.16.0.0/12", "10.1.2.3/32")
    with pytest.raises(SettingsError, match="TRUSTED_PROXIES"):
        load_settings({**env, "TRUSTED_PROXIES": "172.16.0.0/33"}, env_file=None)
