"""Opening hours in OSM `opening_hours` syntax, parsed by the opening-hours-py library."""

from __future__ import annotations

import re
from functools import lru_cache
from zoneinfo import ZoneInfo

import opening_hours
from opening_hours import OpeningHours

# The library raises ParserError on a bad expression, but its stub file leaves the class out.
ParserError: type[Exception] = opening_hours.ParserError  # type: ignore[attr-defined]

BREST_TZ = ZoneInfo("Europe/Paris")


def parse_hours(expression: str) -> OpeningHours:
    """Parse an OSM opening_hours expression; raise ValueError with a one-line reason."""
    try:
        return OpeningHours(expression, country="FR", timezone=BREST_TZ)
    except (ParserError, SyntaxError) as error:
        # The library's message is a multi-line caret diagram; keep the column and the hint.
        message = str(error)
        where = re.search(r"--> \d+:(\d+)", message)
        hint = re.search(r"^\s*= (.+)$", message, re.MULTILINE)
        column = where.group(1) if where else "?"
        raise ValueError(
            f"horaires invalides (syntaxe OSM opening_hours, colonne {column}): "
            f"{expression!r} ({hint.group(1) if hint else 'erreur de syntaxe'})"
        ) from error


# A parsed expression takes about 2 KB: parse it when an answer needs it, once per expression
# (places share few distinct hours), rather than once per place at load.
@lru_cache(maxsize=1024)
def place_hours(expression: str) -> OpeningHours:
    """A place's hours; without a `PH` rule it is closed on French public holidays.

    National exports rarely say what happens on holidays, and the public services they list
    (mairies, médiathèques, France services) close on them; write `PH ...` to say otherwise.
    """
    if "PH" in expression or expression.strip() == "24/7":
        return parse_hours(expression)
    return parse_hours(f"{expression}; PH off")
