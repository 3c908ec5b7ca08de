"""`content sync`: sources from a local HTTP server, a reviewable diff, applied when accepted.

The server serves the fixtures of tests/fixtures/content/ on 127.0.0.1; no other network.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from aiohttp import web

from bot.content import load_content
from bot.content.csvfile import read_rows
from bot.content.sync import apply_changes, compute_diff, describe, read_diff, write_diff
from tests.loopback import loopback

CONTENT = Path(__file__).resolve().parent.parent / "content"
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "content"


@pytest.fixture
def content_copy(tmp_path: Path) -> Path:
    target = tmp_path / "content"
    shutil.copytree(CONTENT, target)
    return target


def fixture_server() -> web.Application:
    app = web.Application()

    async def serve(request: web.Request) -> web.FileResponse:
        return web.FileResponse(FIXTURES / request.match_info["name"])

    app.router.add_get("/{name}", serve)
    return app


def configure(content_dir: Path, base: str) -> None:
    (content_dir / "sources.yaml").write_text(
        "sources:\n"
        f"  - id: annuaire\n    url: {base}/dila_annuaire_brest.json\n    format: dila\n"
        "    ids: 'dila-'\n"
        f"  - id: carte\n    url: {base}/gogocarto_acces_droits.json\n    format: gogocarto\n"
        "    ids: 'gogocarto-gogocarto_acces_droits-'\n"
        f"  - id: national\n    url: {base}/import_v1.csv\n    format: mednum\n"
        "    ids: 'fs-'\n    codes_postaux: ['29200']\n    actif: false\n",
        encoding="utf-8",
    )


async def test_sync_diff_lists_new_places_and_applies_nothing(content_copy, tmp_path):
    before = (content_copy / "lieux.csv").read_bytes()
    async with loopback(fixture_server()) as base:
        configure(content_copy, base)
        changes = await compute_diff(content_copy)
    assert {(c.kind, c.source) for c in changes} == {("new", "annuaire"), ("new", "carte")}
    assert (content_copy / "lieux.csv").read_bytes() == before  # nothing applied
    out = tmp_path / "diff.json"
    write_diff(changes, out)
    assert [c.id for c in read_diff(out)] == [c.id for c in changes]
    assert all(describe(c).startswith("+ nouveau") for c in changes)


async def test_changed_and_vanished_places_of_a_source(content_copy):
    places = (content_copy / "lieux.csv").read_text(encoding="utf-8")
    (content_copy / "lieux.csv").write_text(
        places.replace("+33298410066", "+33298000000"), encoding="utf-8"
    )
    async with loopback(fixture_server()) as base:
        configure(content_copy, base)
        changes = await compute_diff(content_copy, only=["national"])
    (changed,) = [c for c in changes if c.kind == "changed"]
    assert changed.id == "fs-173"
    assert changed.fields["telephone"] == ["+33298000000", "+33298410066"]
    vanished = {c.id for c in changes if c.kind == "vanished"}
    assert {"fs-594", "fs-1874"} <= vanished and "fs-173" not in vanished
    assert "~ modifié [national] fs-173" in describe(changed)


async def test_a_curator_applies_only_the_accepted_lines(content_copy):
    async with loopback(fixture_server()) as base:
        configure(content_copy, base)
        changes = await compute_diff(content_copy)
    keep = next(c for c in changes if c.source == "annuaire")
    assert apply_changes(content_copy, changes, {keep.id}, who="curatrice@test") == []
    content = load_content(content_copy)
    ids = {p.id for p in content.places}
    assert keep.id in ids and not {c.id for c in changes if c is not keep} & ids
    _, sides = read_rows(content_copy / "lieux_complements.csv")
    side = next(r for _, r in sides if r["id"] == keep.id)
    assert "accepté par curatrice@test" in side["notes"]


async def test_an_invalid_accepted_line_is_undone(content_copy):
    async with loopback(fixture_server()) as base:
        configure(content_copy, base)
        changes = await compute_diff(content_copy)
    broken = changes[0]
    broken.row["horaires"] = "tous les jours"
    before = (content_copy / "lieux.csv").read_bytes()
    errors = apply_changes(content_copy, [broken], {"all"}, who="test")
    assert errors and any("horaires" in e for e in errors)
    assert (content_copy / "lieux.csv").read_bytes() == before


def test_shipped_sources_are_declared_and_inactive_until_confirmed():
    from bot.content.sync import load_sources

    sources = load_sources(CONTENT)
    assert {s.format for s in sources} >= {"dila", "gogocarto", "data-inclusion"}
    assert not any(s.active for s in sources)
    assert json  # the diff file format is JSON (see write_diff)
