"""Moments and distances as residents read them, in their language, from content sentences."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.content.hours import BREST_TZ
from bot.content.texts import Texts


def spoken_moment(texts: Texts, language: str, moment: datetime, now: datetime) -> str:
    """`à 14h`, `demain à 9h`, `jeudi à 9h30`, or `lundi 28 décembre à 9h` beyond a week."""
    moment, now = local(moment), local(now)
    days = (moment.date() - now.date()).days
    time = clock(moment)
    if days == 0:
        return texts.say("when.today", language, time=time)
    if days == 1:
        return texts.say("when.tomorrow", language, time=time)
    day = texts.say("when.weekdays", language).split(",")[moment.weekday()]
    if moment - now < timedelta(days=6):
        return texts.say("when.day", language, day=day, time=time)
    month = texts.say("when.months", language).split(",")[moment.month - 1]
    return texts.say("when.date", language, day=day, date=moment.day, month=month, time=time)


def clock(moment: datetime) -> str:
    """A time of day as French notices write it: 9h, 14h30."""
    return f"{moment.hour}h{moment.minute:02d}" if moment.minute else f"{moment.hour}h"


def local(moment: datetime) -> datetime:
    """A moment in Brest's time zone (opening hours are local)."""
    return moment.astimezone(BREST_TZ)


def aware(moment: datetime) -> datetime:
    """The moment in UTC; SQLite gives back naive datetimes (everything is stored in UTC)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
