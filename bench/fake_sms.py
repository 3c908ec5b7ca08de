"""The fake Twilio REST API of the gateway bench, with the status callbacks the platform sends.

For every SMS body it accepts, Twilio calls the message's StatusCallback URL: `sent` when the
carrier took it, `delivered` when the phone acknowledged it (its form fields, signed like
every webhook). The gateway pays for each callback (signature, form, a database update for
`delivered`), so the bench sends them too and counts their answers.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import defaultdict
from datetime import UTC, datetime

from aiohttp import ClientError, ClientSession, TCPConnector, web

from tests.fake_twilio import ACCOUNT_SID, FROM_NUMBER, FakeTwilio, post_signed

DELIVERED_AFTER = 0.5  # seconds between `sent` and `delivered` (a phone's receipt)
CONNECTIONS = 50  # kept open to the gateway at most, as a platform's client pool would


def callback_form(sid: str, status: str, to: str) -> dict[str, str]:
    """The fields Twilio posts to a message's StatusCallback (sent without a Messaging
    Service, so no MessagingServiceSid); `delivered` adds the carrier's RawDlrDoneDate."""
    form = {
        "SmsSid": sid,
        "SmsStatus": status,
        "MessageStatus": status,
        "To": to,
        "MessageSid": sid,
        "AccountSid": ACCOUNT_SID,
        "From": FROM_NUMBER,
        "ApiVersion": "2010-04-01",
    }
    if status == "delivered":
        form["RawDlrDoneDate"] = datetime.now(UTC).strftime("%y%m%d%H%M")
    return form


class TimedTwilio(FakeTwilio):
    """Notes when each accepted body arrives, per number, and calls the gateway back."""

    def __init__(self) -> None:
        super().__init__()
        self.arrivals: dict[str, list[float]] = defaultdict(list)
        self.gateway_url = ""  # where the callbacks go (the public URL only signs them)
        self.public_url = ""
        self.callbacks = 0  # answered with a 2xx
        self.refused: list[str] = []  # "status: answer" of the others
        self._noted = 0
        self._pending: set[asyncio.Task[None]] = set()
        self._session: ClientSession | None = None

    def call_back(self, gateway_url: str, public_url: str) -> None:
        """Send status callbacks to the gateway at `gateway_url` from now on."""
        self.gateway_url, self.public_url = gateway_url, public_url

    async def settled(self) -> None:
        """Wait until every callback due so far has been answered."""
        while self._pending:
            await asyncio.gather(*self._pending)

    async def close(self) -> None:
        """Stop calling back (callbacks still due are dropped: call `settled` first)."""
        for task in self._pending:
            task.cancel()
        if self._session is not None:
            await self._session.close()

    async def _create(self, request: web.Request) -> web.Response:
        response = await super()._create(request)
        now = time.perf_counter()
        for form in self.sent[self._noted :]:
            self.arrivals[form["To"]].append(now)
        self._noted = len(self.sent)
        if response.status == 201 and self.gateway_url:
            sid = json.loads(response.text or "{}")["sid"]
            task = asyncio.create_task(self._report(sid, self.sent[-1]))
            self._pending.add(task)
            task.add_done_callback(self._pending.discard)
        return response

    async def _report(self, sid: str, form: dict[str, str]) -> None:
        """`sent` at once, `delivered` a little later, to the message's StatusCallback."""
        callback = form.get("StatusCallback", "")
        if not callback.startswith(self.public_url):
            self.refused.append(f"no StatusCallback under {self.public_url}: {callback!r}")
            return
        path = callback.removeprefix(self.public_url)
        for status in ("sent", "delivered"):
            if status == "delivered":
                await asyncio.sleep(DELIVERED_AFTER)
            await self._post(path, callback_form(sid, status, form["To"]))

    async def _post(self, path: str, form: dict[str, str]) -> None:
        if self._session is None:
            self._session = ClientSession(connector=TCPConnector(limit=CONNECTIONS))
        try:
            async with await post_signed(
                self._session, self.gateway_url, path, form, self.public_url
            ) as answer:
                await answer.read()
                ok = 200 <= answer.status < 300
                detail = str(answer.status)
        except (ClientError, OSError, TimeoutError) as error:
            ok, detail = False, repr(error)
        if ok:
            self.callbacks += 1
        else:
            self.refused.append(f"{form['MessageStatus']}: {detail}")
