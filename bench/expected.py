"""How many SMS bodies the gateway's own engine sends a new resident for each text.

    echo '["bonjour", ...]' | PYTHONPATH=TREE python -P bench/expected.py CONTENT_DIR

Run by bench/gateway.py in a process of its own, with the measured tree first on the path,
so that the expectation comes from the code under test (an older commit included); `-P`
keeps this script's folder off the path. Its last line of output is JSON: {"code": where
`bot` was imported from, "bodies": {text: count}}.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import bot
from bot.content import load_content
from bot.rendering.gsm import render_sms
from bot.store.db import Database
from tests.harness import ConversationBot


async def expected_bodies(texts: list[str], content_dir: Path) -> dict[str, int]:
    """Each text said once by a new resident on a scratch database: the bodies it gets."""
    content = load_content(content_dir)
    with tempfile.TemporaryDirectory() as folder:
        database = Database(f"sqlite+aiosqlite:///{folder}/expected.db")
        await database.upgrade()
        try:
            talk = ConversationBot(database, content, now=datetime.now(UTC))
            counts = {}
            for n, text in enumerate(dict.fromkeys(texts)):
                replies = await talk.say(f"+3369{n:08d}", text)
                counts[text] = sum(len(render_sms(reply)) for reply in replies)
            return counts
        finally:
            await database.close()


def main() -> None:
    texts = json.load(sys.stdin)
    bodies = asyncio.run(expected_bodies(texts, Path(sys.argv[1])))
    print(json.dumps({"code": str(Path(bot.__file__).parent), "bodies": bodies}))


if __name__ == "__main__":
    main()
