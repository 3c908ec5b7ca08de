"""The curators' page: review the sync diff, fix hours/phone, stale list, FAQ; validated,
reloaded without restart, logged with who did it; curators only."""

from __future__ import annotations

import shutil

import pytest
from sqlalchemy import select

from bot.content.formats import dila
from bot.content.sync import Change, read_diff, write_diff
from bot.store.models import Contact, ContentChange, Curator, FaqSuggestion, Mediator, Ticket
from tests.harness import CONTENT_DIR
from tests.inbox.gateway import CSRF, running_gateway

FIXTURES = CONTENT_DIR.parent / "tests" / "fixtures" / "content"


@pytest.fixture
def content_copy(tmp_path, monkeypatch):
    target = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, target)
    monkeypatch.setattr("tests.inbox.gateway.CONTENT_DIR", target)
    return target


async def make_curator(gw, name: str) -> None:
    await gw.add_mediator(name)
    async with gw.runtime.database.session() as session:
        mediator = (
            await session.execute(select(Mediator).where(Mediator.name == name))
        ).scalar_one()
        session.add(Curator(mediator_id=mediator.id))
        await session.commit()


async def post(gw, path: str, **form: str) -> str:
    page = await (await gw.client.get("/inbox/contenu")).text()
    form["csrf"] = CSRF.search(page).group(1)
    response = await gw.client.post(path, data=form)
    assert response.status == 200
    return await response.text()


async def log(gw) -> list[ContentChange]:
    async with gw.runtime.database.session() as session:
        return list((await session.execute(select(ContentChange))).scalars())


async def test_only_curators_see_the_page(tmp_path, content_copy):
    async with running_gateway(tmp_path) as gw:
        await gw.add_mediator("Anne")
        await gw.login("Anne")
        assert (await gw.client.get("/inbox/contenu")).status == 403


async def test_fix_hours_and_phone_reloads_and_logs(tmp_path, content_copy):
    async with running_gateway(tmp_path) as gw:
        await make_curator(gw, "Claire")
        await gw.login("Claire")
        page = await (await gw.client.get("/inbox/contenu")).text()
        assert "À revérifier" in page and "Solidarité Numérique" in page
        text = await post(
            gw, "/inbox/contenu/lieu", id="mq-europe", horaires="Mo-Fr 08:30-12:00",
            telephone="02 98 00 00 01",
        )  # fmt: skip
        assert "Fait et rechargé" in text
        place = gw.runtime.engine.knowledge.content.place("mq-europe")  # no restart
        assert place.horaires == "Mo-Fr 08:30-12:00" and place.telephone == "+33298000001"
        assert place.verifie_le == gw.now.date()
        (change,) = await log(gw)
        assert change.who == "Claire" and "mq-europe" in change.what


async def test_invalid_hours_are_refused_and_nothing_changes(tmp_path, content_copy):
    before = (content_copy / "lieux.csv").read_bytes()
    async with running_gateway(tmp_path) as gw:
        await make_curator(gw, "Claire")
        await gw.login("Claire")
        text = await post(gw, "/inbox/contenu/lieu", id="mq-europe", horaires="lundi matin")
        assert "Refusé" in text and "horaires invalides" in text
        assert (content_copy / "lieux.csv").read_bytes() == before
        assert await log(gw) == []


async def test_review_the_diff_line_by_line(tmp_path, content_copy):
    ((_, row),) = [(w, r) for w, r in dila.read(FIXTURES / "dila_annuaire_brest.json")]
    new = Change("new", "annuaire", row["id"], row["nom"], row=dict(row))
    gone = Change("vanished", "annuaire", "dila-old", "Ancien lieu")
    write_diff([new, gone], content_copy / "sync-diff.json")
    async with running_gateway(tmp_path) as gw:
        await make_curator(gw, "Claire")
        await gw.login("Claire")
        page = await (await gw.client.get("/inbox/contenu")).text()
        assert "+ nouveau [annuaire]" in page and "- disparu [annuaire] dila-old" in page
        await post(gw, "/inbox/contenu/diff", id="dila-old", decision="reject")
        await post(gw, "/inbox/contenu/diff", id=row["id"], decision="accept")
        assert read_diff(content_copy / "sync-diff.json") == []
        assert gw.runtime.engine.knowledge.content.place(row["id"]).hours is not None
        whats = [c.what for c in await log(gw)]
        assert whats[0].startswith("rejeté") and whats[1].startswith("accepté")


async def test_promote_a_faq_suggestion(tmp_path, content_copy):
    async with running_gateway(tmp_path) as gw:
        await make_curator(gw, "Claire")
        await gw.login("Claire")
        async with gw.runtime.database.session() as session:
            contact = Contact(channel="sms", address_hash="h", address_encrypted="x",
                              created_at=gw.now, last_seen_at=gw.now)  # fmt: skip
            session.add(contact)
            await session.flush()
            ticket = Ticket(contact_id=contact.id, reason="no_answer", created_at=gw.now)
            session.add(ticket)
            await session.flush()
            suggestion = FaqSuggestion(
                ticket_id=ticket.id,
                topic="caf",
                question="Mot de passe CAF ?",
                answer="Sur caf.fr, « mot de passe oublié ».",
                suggested_by="Anne",
                created_at=gw.now,
            )
            session.add(suggestion)
            await session.commit()
            suggestion_id = (await session.execute(select(FaqSuggestion.id))).scalar_one()
        await post(gw, "/inbox/contenu/faq", id=str(suggestion_id))
        faq = (content_copy / "faq.yaml").read_text(encoding="utf-8")
        assert "Mot de passe CAF ?" in faq and "promue par Claire" in faq


async def test_curator_command_gives_and_takes_the_role(tmp_path, content_copy, capsys):
    from bot.content.curators import change_curators

    async with running_gateway(tmp_path) as gw:
        await gw.add_mediator("Anne")
        async with gw.runtime.database.session() as session:
            assert await change_curators(session, "add", "Anne") == 0
            assert await change_curators(session, "add", "Personne") == 1
            await session.commit()
        await gw.login("Anne")
        assert (await gw.client.get("/inbox/contenu")).status == 200
        async with gw.runtime.database.session() as session:
            await change_curators(session, "list", "")
            assert await change_curators(session, "remove", "Anne") == 0
            await session.commit()
        assert (await gw.client.get("/inbox/contenu")).status == 403
    assert "Anne\n" in capsys.readouterr().out
