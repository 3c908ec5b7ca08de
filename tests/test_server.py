"""The aiohttp application: health and admin reload."""

from __future__ import annotations

import shutil

from aiohttp.test_utils import TestClient, TestServer

from bot.config import load_settings
from bot.gateway.server import RUNTIME, create_app
from tests.harness import CONTENT_DIR, SECRET

TOKEN = "admin-token-for-tests"


def make_app(tmp_path, content_dir=CONTENT_DIR):
    settings = load_settings(
        {
            "SECRET_KEY": SECRET,
            "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'server.db'}",
            "CONTENT_DIR": str(content_dir),
            "ADMIN_TOKEN": TOKEN,
        },
        env_file=None,
    )
    return create_app(settings)


async def test_healthz_reports_database_content_and_version(tmp_path):
    async with TestClient(TestServer(make_app(tmp_path))) as client:
        response = await client.get("/healthz")
        assert response.status == 200
        body = await response.json()
        assert body["database"] and body["content"] and body["version"]


async def test_healthz_is_503_when_the_database_is_gone(tmp_path):
    async with TestClient(TestServer(make_app(tmp_path))) as client:
        runtime = client.app[RUNTIME]
        (tmp_path / "server.db").unlink()
        (tmp_path / "server.db").mkdir()  # the file is now a directory: SQLite cannot open it
        await runtime.database.engine.dispose()
        response = await client.get("/healthz")
        assert response.status == 503
        assert (await response.json())["database"] is False


async def test_reload_keeps_the_old_content_when_the_new_one_is_invalid(tmp_path):
    content_dir = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, content_dir)
    async with TestClient(TestServer(make_app(tmp_path, content_dir))) as client:
        runtime = client.app[RUNTIME]
        before = runtime.engine.knowledge
        headers = {"Authorization": f"Bearer {TOKEN}"}
        assert (await client.post("/admin/reload")).status == 403
        (content_dir / "textes.yaml").write_text("menu.intro: {en: 'no French'}\n")
        refused = await client.post("/admin/reload", headers=headers)
        assert refused.status == 422
        problems = (await refused.json())["problems"]
        assert any(p.startswith("textes.yaml:1: ") for p in problems)
        assert runtime.engine.knowledge is before
        shutil.copy(CONTENT_DIR / "textes.yaml", content_dir / "textes.yaml")
        accepted = await client.post("/admin/reload", headers=headers)
        assert accepted.status == 200 and runtime.engine.knowledge is not before
