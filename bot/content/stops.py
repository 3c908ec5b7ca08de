"""Stops of itinerant places (a bus): each located stop becomes a place with that stop's times."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import replace
from pathlib import Path

from bot.content.csvfile import open_rows
from bot.content.hours import parse_hours
from bot.content.model import Problem
from bot.content.places import Place

STOPS_FILE = "lieux_itinerance.csv"
STOP_COLUMNS = ("id", "arret", "horaires", "latitude", "longitude", "coord_source", "source")
STOP_SEPARATOR = "@"  # "fs-1874@2": the second stop of fs-1874


def load_stops(
    content_dir: Path, place_ids: Collection[str]
) -> tuple[dict[str, list[dict[str, str]]], list[Problem]]:
    """The rows of lieux_itinerance.csv by place id, checked; an absent file means no stops."""
    path = content_dir / STOPS_FILE
    if not path.exists():
        return {}, []
    stops: dict[str, list[dict[str, str]]] = {}
    problems: list[Problem] = []
    with open_rows(path) as (header, rows):
        if tuple(header) != STOP_COLUMNS:
            return {}, [Problem(STOPS_FILE, 1, f"colonnes attendues: {STOP_COLUMNS}")]
        for line, row in rows:
            found = _check_stop(row, place_ids)
            problems += [Problem(STOPS_FILE, line, message) for message in found]
            if not found:
                stops.setdefault(row["id"], []).append(row)
    return stops, problems


def _check_stop(row: dict[str, str], place_ids: Collection[str]) -> list[str]:
    found = []
    if row["id"] not in place_ids:
        found.append(f"id {row['id']!r} absent de lieux.csv")
    for name in ("arret", "horaires", "source"):
        if not row[name].strip():
            found.append(f"champ obligatoire vide: {name}")
    if row["horaires"].strip():
        try:
            parse_hours(row["horaires"])
        except ValueError as error:
            found.append(str(error))
    lat, lon = row["latitude"].strip(), row["longitude"].strip()
    if bool(lat) != bool(lon):
        found.append("latitude et longitude vont ensemble")
    elif lat:
        try:
            if not (41 < float(lat) < 52 and -6 < float(lon) < 10):
                found.append(f"coordonnées hors de France: {lat},{lon}")
        except ValueError:
            found.append(f"coordonnées invalides: {lat},{lon}")
        if not row["coord_source"].strip():
            found.append("coord_source obligatoire quand l'arrêt a des coordonnées")
    return found


def stop_places(places: Iterable[Place], stops: dict[str, list[dict[str, str]]]) -> list[Place]:
    """One place per located stop: the itinerant place at that point, with that stop's times."""
    found = []
    for place in places:
        for index, stop in enumerate(stops.get(place.id, ()), start=1):
            if not stop["latitude"].strip():
                continue  # a stop without a sourced point is listed, never placed
            found.append(
                replace(
                    place,
                    id=f"{place.id}{STOP_SEPARATOR}{index}",
                    adresse=stop["arret"].strip(),
                    latitude=float(stop["latitude"]),
                    longitude=float(stop["longitude"]),
                    horaires=stop["horaires"].strip(),
                )
            )
    return found


def is_stop(place: Place) -> bool:
    """Is this place one stop of an itinerant place (not a place of its own)?"""
    return STOP_SEPARATOR in place.id
