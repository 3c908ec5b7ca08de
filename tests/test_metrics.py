"""GET /metrics and the logs, over whole conversations through `create_app`."""

from __future__ import annotations

import asyncio
import dataclasses
import logging

from aiohttp.test_utils import TestClient, TestServer
from prometheus_client.parser import text_string_to_metric_families

from bot.config import Settings
from bot.gateway.server import create_app
from bot.logs import JsonFormatter, setup_logging
from tests.channels.test_gateway import CHAT, RESIDENT, platforms, until
from tests.harness import CONTENT_DIR, SECRET


def samples(text: str) -> dict[tuple[str, tuple], float]:
    """{(sample name, sorted labels): value} of a Prometheus text exposition."""
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


async def test_metrics_count_messages_turns_queue_and_latency(tmp_path) -> None:
    async with platforms(tmp_path) as p, p.gateway() as client:
        before = samples(await (await client.get("/metrics")).text())
        assert await p.sms("bonjour", "SMm1") == 200
        assert await p.sms("je voudrais parler a quelqu'un", "SMm2") == 200
        await until(lambda: len(p.twilio.sent) >= 2)
        sent_key = ("aiguillage_outbox", (("channel", "sms"), ("status", "sent")))
        for _ in range(100):  # a send is recorded just after the platform took it
            response = await client.get("/metrics")
            assert response.status == 200
            assert response.headers["Content-Type"].startswith("text/plain; version=")
            text = await response.text()
            after = samples(text)
            if after.get(sent_key) == len(p.twilio.sent):
                break
            await asyncio.sleep(0.05)

    def grew(name: str, **labels: str) -> float:
        key = (name, tuple(sorted(labels.items())))
        return after[key] - before.get(key, 0.0)

    assert grew("aiguillage_messages_in_total", channel="sms") == 2
    turns: dict[str, float] = {}
    for k in after:  # summed over handlers: (intent, handler) pairs made by earlier tests
        if k[0] == "aiguillage_turns_total":
            intent = dict(k[1])["intent"]
            turns[intent] = turns.get(intent, 0) + after[k] - before.get(k, 0)
    assert sum(turns.values()) == 2 and turns["talk_to_human"] == 1
    assert grew("aiguillage_handoffs_total") == 1
    assert grew("aiguillage_turn_seconds_count") == 2
    assert grew("aiguillage_request_seconds_count", route="/twilio/sms") == 2
    assert after[("aiguillage_open_tickets", (("status", "open"),))] == 1
    sent = after[("aiguillage_outbox", (("channel", "sms"), ("status", "sent")))]
    assert sent == len(p.twilio.sent)
    assert RESIDENT not in text and RESIDENT[1:] not in text


async def test_no_number_chat_id_or_text_is_ever_logged(tmp_path, caplog) -> None:
    setup_logging("DEBUG")  # the most talkative level: still nothing personal
    root = logging.getLogger()
    root.addHandler(caplog.handler)
    try:
        async with platforms(tmp_path) as p, p.gateway():
            p.twilio.fail_next(1, status=400, code=21211, message=f"'To' {RESIDENT} is invalid")
            assert await p.sms("mon dossier caf bellevue", "SMl1") == 200
            assert await p.sms("je voudrais parler a quelqu'un", "SMl2") == 200
            assert await p.update(p.telegram.text_update(CHAT, "papi recouvrance")) == 200
            assert await p.update(p.telegram.location_update(CHAT, 48.4065, -4.5021)) == 200
            await until(lambda: len(p.telegram.sent()) >= 2 and p.twilio.requests >= 2)
    finally:
        root.handlers[:] = []
        logging.getLogger().setLevel(logging.WARNING)
    lines = [JsonFormatter().format(r) for r in caplog.records]
    assert any('"event": "server.started"' in line for line in lines)
    secrets = (RESIDENT, RESIDENT[3:], str(CHAT), "dossier caf", "recouvrance", "48.4065")
    leaks = [line for line in lines for secret in secrets if secret in line]
    assert leaks == []


async def test_metrics_are_private_and_concurrent_scrapes_share_one_read(tmp_path) -> None:
    from bot import metrics

    settings = Settings(
        secret_key=SECRET,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'm.db'}",
        content_dir=CONTENT_DIR,
    )
    async with TestClient(TestServer(create_app(settings), host="127.0.0.1")) as client:
        assert (await client.get("/metrics")).status == 200  # this host, no proxy
        proxied = await client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.1"})
        assert proxied.status == 403  # through a reverse proxy: the world
        reads = []
        real = metrics.database_gauges

        async def counted(session):  # noqa: ANN001, ANN202
            reads.append(1)
            return await real(session)

        metrics.database_gauges = counted
        try:
            responses = await asyncio.gather(*(client.get("/metrics") for _ in range(200)))
        finally:
            metrics.database_gauges = real
        assert {r.status for r in responses} == {200} and len(reads) <= 5  # not 200
    with_token = dataclasses.replace(settings, metrics_token="scrape-secret")
    async with TestClient(TestServer(create_app(with_token), host="127.0.0.1")) as client:
        assert (await client.get("/metrics")).status == 403
        bearer = {"Authorization": "Bearer scrape-secret", "X-Forwarded-For": "203.0.113.1"}
        assert (await client.get("/metrics", headers=bearer)).status == 200


def test_the_gateway_listens_on_loopback_unless_told() -> None:
    from bot.config import load_settings

    assert load_settings({"SECRET_KEY": SECRET}, env_file=None).host == "127.0.0.1"
    assert Settings(secret_key=SECRET).host == "127.0.0.1"
