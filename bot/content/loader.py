"""Load and check the whole content base; swap it safely on reload."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from bot.content.emergencies import Emergency, load_emergencies
from bot.content.followups import FollowUps, load_followups
from bot.content.gazetteer import load_gazetteer
from bot.content.hours import BREST_TZ
from bot.content.housing import HousingOffer, load_housing
from bot.content.kinds import check_referrals
from bot.content.language import Language, load_language
from bot.content.mediators import MediatorHours, load_mediators
from bot.content.model import ContentError, GazetteerEntry, Problem
from bot.content.places import Place, load_places
from bot.content.schema import Schema, load_schema
from bot.content.sentences import check_sentences
from bot.content.stops import load_stops, stop_places
from bot.content.structures import Phones, load_phones
from bot.content.texts import Texts, load_texts
from bot.content.topics import TopicHelp, load_topics
from bot.content.whatsapp_templates import load_whatsapp_templates

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Content:
    """Everything the bot answers from, loaded from `content/`."""

    places: tuple[Place, ...]
    gazetteer: tuple[GazetteerEntry, ...]
    housing: HousingOffer
    topics: Mapping[str, TopicHelp]
    texts: Texts
    mediators: MediatorHours
    schema: Schema
    language: Language  # the understanding's phrasings, from content/langue/
    emergencies: Mapping[str, Emergency]
    followups: FollowUps
    phones: Phones = Phones()  # numbers to call when a place has none

    def place(self, place_id: str) -> Place:
        """The place with this id; KeyError if unknown."""
        for place in self.places:
            if place.id == place_id:
                return place
        raise KeyError(place_id)


def check_content(
    content_dir: Path, today: date | None = None
) -> tuple[Content | None, list[Problem]]:
    """Load every file of `content_dir`; return the content (None on any error) and problems."""
    today = today or _today()
    problems: list[Problem] = []
    try:
        schema = load_schema(content_dir)
    except (OSError, ValueError, KeyError) as error:
        return None, [Problem("schema/mednum_schema_v1_enumerations.json", None, str(error))]
    gazetteer, found = load_gazetteer(content_dir)
    problems += found
    ids = {entry.id for entry in gazetteer}
    quartiers = {entry.id for entry in gazetteer if entry.kind == "quartier"}
    places, found = load_places(content_dir, schema, quartiers, today)
    problems += found
    stops, found = load_stops(content_dir, {place.id for place in places})
    problems += found
    places = (*places, *stop_places(places, stops))
    housing, found = load_housing(content_dir, ids)
    problems += found
    topics, found = load_topics(content_dir)
    problems += found + check_referrals(topics, places)
    texts, found = load_texts(content_dir)
    problems += found + check_sentences(texts)
    mediators, found = load_mediators(content_dir)
    problems += found
    emergencies, found = load_emergencies(content_dir)
    problems += found
    followups, found = load_followups(content_dir)
    problems += found
    language, found = load_language(content_dir)
    problems += found
    phones, found = load_phones(content_dir)
    problems += found
    problems += load_whatsapp_templates(content_dir)[1]  # the WhatsApp channel reads them
    if any(p.severity == "error" for p in problems) or housing is None or mediators is None:
        return None, problems
    content = Content(
        places, gazetteer, housing, topics, texts, mediators, schema, language, emergencies,
        followups, phones,
    )  # fmt: skip
    return content, problems


def load_content(content_dir: Path, today: date | None = None) -> Content:
    """Load the content base; raise ContentError listing every error (warnings are logged)."""
    content, problems = check_content(content_dir, today)
    if content is None:
        raise ContentError([p for p in problems if p.severity == "error"])
    # Warnings are only counted: a national import can bring thousands of stale places.
    warnings = [p for p in problems if p.severity != "error"]
    if warnings:
        log.warning(
            "content has %d warnings (e.g. %s); `aiguillage content check` lists them",
            len(warnings),
            warnings[0],
        )
    return content


def _today() -> date:
    return datetime.now(BREST_TZ).date()
