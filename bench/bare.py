"""The bare endpoint, the gateway bench's ceiling: reads the webhook's form, returns empty TwiML.

python -P bench/bare.py PORT     # started by bench/gateway.py, this checkout on PYTHONPATH
"""

from __future__ import annotations

import sys

from aiohttp import web

from bot.channels.sms import EMPTY_TWIML, INBOUND_PATH


async def inbound(request: web.Request) -> web.Response:
    await request.post()
    return web.Response(text=EMPTY_TWIML, content_type="text/xml")


async def healthz(request: web.Request) -> web.Response:
    return web.Response(text="ok")


def main() -> None:
    app = web.Application()
    app.router.add_post(INBOUND_PATH, inbound)
    app.router.add_get("/healthz", healthz)
    web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None)


if __name__ == "__main__":
    main()
