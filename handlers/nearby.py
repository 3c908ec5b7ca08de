"""The nearest-places answer shared by find_place and find_mediator (not a handler)."""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime, timedelta
from itertools import islice
from typing import TYPE_CHECKING, Any, NamedTuple

import phonenumbers
from opening_hours import OpeningHours, State

from bot.content.places import STALE_AFTER, Place
from bot.content.stops import is_stop
from bot.messages import Choice, Reply, Venue
from bot.nearest import Grid
from bot.spoken import clock, local, spoken_moment
from bot.turn import Handoff, Outcome, Turn

if TYPE_CHECKING:
    from bot.content import Content

PAGE = 2  # places per answer: two short cards keep an SMS answer within 2-3 segments
MAX_DISTANCE_M = 30_000.0
ITINERANT_DETOUR_M = 1500.0
OUTSIDE_BREST = "commune_voisine"  # gazetteer kind of the towns around Brest
MAX_TRIES = 2  # places we cannot find before a person takes over
MORE = "more"
MORE_WORDS = frozenset({"plus", "suivant", "suivants", "autre", "autres", "more", "next", "+"})
# Built once per content base and filter: rebuilding the grid on each message would cost
# what the index saves. A reload brings a new places tuple, and the old grids are dropped.
_GRIDS: dict[str, tuple[tuple[Place, ...], Grid[Place]]] = {}


def place_grid(places: tuple[Place, ...], key: str, keep: Callable[[Place], bool]) -> Grid[Place]:
    """The grid of the located places that `keep` accepts, built once per content base."""
    cached = _GRIDS.get(key)
    if cached is not None and cached[0] is places:
        return cached[1]
    if cached is not None:
        _GRIDS.clear()
    grid = Grid(
        (p.latitude, p.longitude, p)
        for p in places
        if p.latitude is not None and p.longitude is not None and keep(p)
    )
    _GRIDS[key] = (places, grid)
    return grid


class Point(NamedTuple):
    """Where to search from, its name for the resident, and whether it was said earlier."""

    latitude: float
    longitude: float
    label: str
    remembered: bool = False
    outside: bool = False  # a neighbouring town: the service covers Brest only

    def slots(self) -> dict[str, Any]:
        """The slots of a search from here, first page."""
        where = {"lat": self.latitude, "lon": self.longitude, "near": self.label, "offset": 0}
        return {**where, "remembered": self.remembered, "outside": self.outside}


def where_from(turn: Turn, remembered: bool = True) -> Point | None:
    """The point the resident gave: a shared location or a known place in this message, else
    (if `remembered`) the place they gave earlier in the conversation."""
    if turn.location is not None:
        location = turn.location
        return Point(location.latitude, location.longitude, turn.say("place.your_location"))
    near = turn.understood.near
    if near is not None and near.entry is not None:
        entry = near.entry
        outside = entry.kind == OUTSIDE_BREST
        return Point(entry.latitude, entry.longitude, entry.name, outside=outside)
    known = turn.known_place
    if remembered and near is None and known is not None:
        return Point(known.latitude, known.longitude, known.name, remembered=True)
    return None


def has_places_near(grid: Grid[Place], slots: Mapping[str, Any]) -> bool:
    """Whether the grid holds any place within reach of the point in `slots`."""
    return next(grid.by_distance(slots["lat"], slots["lon"], MAX_DISTANCE_M), None) is not None


def follows_up(text: str, step: str = "", content: Content | None = None) -> bool:
    """Is this message "plus" / "suivant" / "more", or a question about the places just
    listed ("c'est gratuit ?", "et le samedi ?"), which only that list gives a sense?"""
    if text.strip(" .!?").lower() in MORE_WORDS:
        return True
    return step == MORE and content is not None and content.followups.facet_in(text) is not None


def facet_of(turn: Turn) -> str | None:
    """The question asked about the places just listed, if any (see content/relances.yaml)."""
    return turn.content.followups.facet_in(turn.text) if turn.step == MORE else None


def facet_slots(slots: Mapping[str, Any], facet: str) -> dict[str, Any]:
    """The same search again from its first page; "open now?" keeps only the open places."""
    return {**slots, "offset": 0, "open_now": slots.get("open_now") or facet == "ouvert"}


def asks_more(turn: Turn) -> bool:
    """Does this message ask for the next places (a follow-up word or the MORE choice)?"""
    return turn.understood.menu_choice == MORE or follows_up(turn.text, MORE)


def ask_where(turn: Turn) -> Reply:
    """Ask where the resident is; Telegram shows a 'share my location' button."""
    return Reply(turn.say("ask_where"), location_button=turn.say("share_location"), key="ask_where")


def ask_again(turn: Turn, slots: Mapping[str, Any]) -> Outcome:
    """Ask where (again); after MAX_TRIES places we cannot find, hand to a person."""
    near = turn.understood.near
    if near is None:
        return Outcome((ask_where(turn),), step="where", slots=slots, expect="where")
    tries = slots.get("tries", 0) + 1
    if tries >= MAX_TRIES:
        summary = f"{turn.text} (lieu introuvable: {near.text})"
        return Outcome(handoff=Handoff("no_answer", topic=slots.get("topic"), summary=summary))
    text = turn.say("place.unknown_near", near=near.text)
    reply = Reply(text, location_button=turn.say("share_location"), key="place.unknown_near")
    return Outcome((reply,), step="where", slots={**slots, "tries": tries}, expect="where")


def page_outcome(
    turn: Turn, grid: Grid[Place], slots: Mapping[str, Any], facet: str | None = None
) -> Outcome:
    """One page of nearest places; when none is open now, when the nearest ones open."""
    found, more = page_of(turn, grid, slots)
    if found:
        cards = place_cards(turn, found, more, facet)
        intro_key = "place.outside_brest" if slots.get("outside") else "place.near_intro"
        if (slots.get("remembered") or slots.get("outside")) and not slots.get("offset"):
            intro = Reply(turn.say(intro_key, near=slots["near"]), key=intro_key)
            cards = (intro, *cards)
        return Outcome(cards, step="more", slots=slots)
    if slots.get("offset", 0) > 0:
        reply = Reply(turn.say("place.no_more"), key="place.no_more")
        return Outcome((reply,), step="more", slots=slots)
    if slots.get("open_now"):
        known = (pair for pair in nearby(grid, {**slots, "open_now": False}, local(turn.now))
                 if pair[1].hours is not None)  # fmt: skip
        closed = list(islice(known, PAGE))
        if closed:
            intro = Reply(turn.say("place.none_open"), key="place.none_open")
            return Outcome((intro, *place_cards(turn, closed, False)), step="more", slots=slots)
    reply = Reply(turn.say("place.none", near=slots["near"]), key="place.none")
    handoff = Handoff("no_answer", topic=slots.get("topic"), summary=turn.text)
    return Outcome((reply,), handoff=handoff)


def nearby(
    grid: Grid[Place], slots: Mapping[str, Any], now: datetime
) -> Iterator[tuple[float, Place]]:
    """Places by distance from the point in `slots`; only those open now if asked."""
    found = grid.by_distance(slots["lat"], slots["lon"], MAX_DISTANCE_M)
    if slots.get("open_now"):
        found = ((d, p) for d, p in found if p.hours is not None and p.hours.is_open(now))
    return fixed_first(found, now)


def fixed_first(
    found: Iterable[tuple[float, Place]], now: datetime
) -> Iterator[tuple[float, Place]]:
    """Places by distance, an itinerant stop counted ITINERANT_DETOUR_M farther unless it is
    there now: a bus that comes by on Friday is no nearer than a desk open today."""
    waiting: list[tuple[float, int, float, Place]] = []
    for order, (distance, place) in enumerate(found):
        away = is_stop(place) and not (place.hours is not None and place.hours.is_open(now))
        heapq.heappush(waiting, (distance + ITINERANT_DETOUR_M * away, order, distance, place))
        while waiting and waiting[0][0] <= distance:
            yield heapq.heappop(waiting)[2:]
    while waiting:
        yield heapq.heappop(waiting)[2:]


def page_of(
    turn: Turn, grid: Grid[Place], slots: Mapping[str, Any]
) -> tuple[list[tuple[float, Place]], bool]:
    """The places of the current page (from `slots["offset"]`) and whether more follow."""
    offset = slots.get("offset", 0)
    found = list(islice(nearby(grid, slots, local(turn.now)), offset, offset + PAGE + 1))
    return found[:PAGE], len(found) > PAGE


def place_cards(
    turn: Turn, found: list[tuple[float, Place]], more: bool, facet: str | None = None
) -> tuple[Reply, ...]:
    """One short reply per place, nearest first, the first pinned on the map."""
    replies = []
    for index, (distance, place) in enumerate(found):
        text = card_text(turn, distance, place, facet)
        venue = None
        if index == 0 and place.latitude is not None and place.longitude is not None:
            venue = Venue(place.nom, place.adresse, place.latitude, place.longitude)
        replies.append(Reply(text, venue=venue, key="place.card"))
    if more and replies:
        last = replies[-1]
        text = f"{last.text}\n{turn.say('place.more')}"
        choice = Choice(turn.say("place.more_choice"), MORE)
        replies[-1] = Reply(text, choices=(choice,), venue=last.venue, key=last.key)
    return tuple(replies)


def card_text(turn: Turn, distance: float, place: Place, facet: str | None = None) -> str:
    """Name, address, distance, today's hours (or next opening), phone and age of one place;
    the hours of the day asked for, and the price when asked."""
    distance_words = distance_text(distance, turn.language)
    day = int(facet.removeprefix("day:")) if facet and facet.startswith("day:") else None
    parts = [
        turn.say("place.card", name=place.nom, address=place.adresse, distance=distance_words),
        hours_text(turn, place) if day is None else day_hours_text(turn, place, day),
    ]
    if facet == "prix":
        parts.append(fee_text(turn, place))
    if facet == "inscription":
        parts.append(access_text(turn, place))
    if place.telephone and place.hours is not None:  # without hours, hours_text gives it
        parts.append(turn.say("place.phone", phone=phone_text(place.telephone)))
    verified = place.verifie_le or place.date_maj
    if local(turn.now).date() - verified > STALE_AFTER:
        parts.append(turn.say("place.stale", year=str(verified.year)))
    return " ".join(parts)


def hours_text(turn: Turn, place: Place) -> str:
    """Today's opening hours, or when the place next opens if it is closed now."""
    if place.hours is None:
        # "Call first" only with digits: the place's, its structure's, or the switchboard.
        number = turn.content.phones.for_place(place.telephone, place.structure)
        if number:
            return turn.say("place.hours_unknown_call", phone=phone_text(number))
        return turn.say("place.hours_unknown")
    now = local(turn.now)
    if place.hours.is_open(now):
        return turn.say("place.open_today", hours=today_hours(place.hours, now))
    opens = place.hours.next_change(now)
    if opens is None or opens - now > timedelta(days=14):
        return turn.say("place.closed")
    when = spoken_moment(turn.content.texts, turn.language, opens, now)
    return turn.say("place.opens", when=when)


def day_hours_text(turn: Turn, place: Place, weekday: int) -> str:
    """The hours of the next `weekday` (0 is Monday), or that it is closed that day."""
    day_name = turn.say("when.weekdays").split(",")[weekday].strip()
    if place.hours is None:
        number = turn.content.phones.for_place(place.telephone, place.structure)
        if number:  # "call" only with digits
            return turn.say("place.day_unknown_call", day=day_name, phone=phone_text(number))
        return turn.say("place.day_unknown", day=day_name)
    now = local(turn.now)
    date = now + timedelta(days=(weekday - now.weekday()) % 7)
    hours = today_hours(place.hours, date)
    if not hours:
        return turn.say("place.day_closed", day=day_name)
    return turn.say("place.day_hours", day=day_name.capitalize(), hours=hours)


def access_text(turn: Turn, place: Place) -> str:
    """How to come: the place's access modes and booking link, or that it is to be asked."""
    if place.modalites_acces:
        return turn.say("place.access", how=", ".join(m.lower() for m in place.modalites_acces))
    if place.prise_rdv:
        return turn.say("place.booking", link=place.prise_rdv)
    return turn.say("place.access_unknown")


def fee_text(turn: Turn, place: Place) -> str:
    """Free, paying, free under conditions, or unknown, from the place's `frais_a_charge`."""
    fees = {f.lower() for f in place.frais}
    if not fees:
        return turn.say("place.fee_unknown")
    if any("condition" in f for f in fees):
        return turn.say("place.fee_conditional")
    return turn.say("place.free" if fees <= {"gratuit"} else "place.fee_paid")


def today_hours(hours: OpeningHours, now: datetime) -> str:
    """The open intervals of the day of `now`, as '9h-12h, 14h-17h'."""
    start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    spans = [
        f"{clock(a)}-{clock(b)}"
        for a, b, state, _ in hours.intervals(start, start + timedelta(days=1))
        if state == State.OPEN
    ]
    return ", ".join(spans)


def distance_text(metres: float, language: str) -> str:
    """A walking-scale distance: '350 m', '1,2 km'."""
    if metres < 1000:
        return f"{max(50, round(metres / 50) * 50)} m"
    km = f"{metres / 1000:.1f}"
    return f"{km.replace('.', ',') if language == 'fr' else km} km"


def phone_text(number: str) -> str:
    """A phone number as residents dial it in France: 02 98 41 00 66."""
    try:
        parsed = phonenumbers.parse(number, "FR")
    except phonenumbers.NumberParseException:
        return number
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
