"""`aiguillage serve` as a real process on loopback, and residents' signed SMS webhooks."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

from aiohttp import ClientError, ClientSession, ClientTimeout
from sqlalchemy import text

from bot.channels import sms
from bot.store.db import Database
from tests.fake_twilio import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, post_signed
from tests.faults.postgres import free_port
from tests.harness import CONTENT_DIR, PUBLIC, SECRET

AIGUILLAGE = Path(sys.executable).with_name("aiguillage")


def resident(n: int) -> str:
    return f"+336{n:08d}"


class GatewayProcess:
    """One gateway process; its JSON log lines go to a file beside the test."""

    def __init__(self, folder: Path, database_url: str, twilio_url: str, lease: int = 120):
        self.folder, self.port = folder, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            "PATH": os.environ.get("PATH", ""),
            "SECRET_KEY": SECRET,
            "DATABASE_URL": database_url,
            "CONTENT_DIR": str(CONTENT_DIR),
            "HOST": "127.0.0.1",
            "PORT": str(self.port),
            "PUBLIC_BASE_URL": PUBLIC,
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "TWILIO_FROM_NUMBER": FROM_NUMBER,
            "TWILIO_API_BASE_URL": twilio_url,
            "OUTBOX_LEASE_SECONDS": str(lease),
        }
        self.process: subprocess.Popen | None = None
        self.log = folder / f"gateway-{self.port}.log"

    def launch(self) -> None:
        """Start the process (cwd: the test folder, so no `.env` is read)."""
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [str(AIGUILLAGE), "serve"],
                cwd=self.folder,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    async def start(self) -> None:
        """Launch, then wait until /healthz answers 200."""
        self.launch()
        await self.healthy()

    async def healthy(self, seconds: float = 30.0) -> None:
        """Wait until /healthz answers 200 (30 s at most)."""
        async with ClientSession(timeout=ClientTimeout(total=2)) as session:
            for _ in range(int(seconds * 10)):
                if self.process.poll() is not None:
                    raise AssertionError(f"gateway exited: {self.log.read_text()[-2000:]}")
                try:
                    async with session.get(self.url + "/healthz") as response:
                        if response.status == 200:
                            return
                except (ClientError, OSError):
                    pass
                await asyncio.sleep(0.1)
        raise AssertionError(f"gateway did not become healthy in {seconds:.0f} s")

    def kill(self) -> None:
        """SIGKILL: no clean shutdown, nothing handed back."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


async def send_sms(session: ClientSession, base_url: str, n: int, text: str = "bonjour") -> int:
    """Resident n's SMS (MessageSid fixed per resident, as Twilio keeps it on retries);
    the HTTP status, or 0 when the gateway did not answer."""
    form = {"MessageSid": f"SM{n:032d}", "From": resident(n), "To": FROM_NUMBER, "Body": text}
    try:
        response = await post_signed(session, base_url, sms.INBOUND_PATH, form, PUBLIC)
        response.release()
        return response.status
    except (ClientError, OSError):  # TimeoutError is an OSError
        return 0


async def outbox_settled(database_url: str, seconds: float = 30.0) -> None:
    """Wait until no outbox row is pending or being sent, and no message is unanswered."""
    database = Database(database_url)
    query = text(
        "SELECT (SELECT count(*) FROM outbox WHERE status IN ('pending', 'sending'))"
        " + (SELECT count(*) FROM messages WHERE direction = 'in' AND processed_at IS NULL)"
    )
    try:
        for _ in range(int(seconds / 0.1)):
            async with database.session() as session:
                if (await session.execute(query)).scalar_one() == 0:
                    return
            await asyncio.sleep(0.1)
    finally:
        await database.close()
    raise AssertionError("outbox still busy")


def replies_per_resident(sent: list[dict]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for message in sent:
        counts[message["To"]] = counts.get(message["To"], 0) + 1
    return counts
