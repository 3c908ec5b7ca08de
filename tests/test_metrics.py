"""GET /metrics and the logs, over whole conversations through `create_app`."""

from __future__ import annotations

import logging

from prometheus_client.parser import text_string_to_metric_families

from bot.logs import JsonFormatter, setup_logging
from tests.channels.test_gateway import CHAT, RESIDENT, platforms, until


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
        response = await client.get("/metrics")
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain; version=")
        text = await response.text()
        after = samples(text)

    def grew(name: str, **labels: str) -> float:
        key = (name, tuple(sorted(labels.items())))
        return after[key] - before.get(key, 0.0)

    assert grew("aiguillage_messages_in_total", channel="sms") == 2
    turns = {
        dict(k[1])["intent"]: after[k] - before.get(k, 0)
        for k in after
        if k[0] == "aiguillage_turns_total"
    }
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
