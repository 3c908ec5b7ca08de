"""What every reader needs: phones in E.164, dates in ISO, the unknown pivot."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import phonenumbers

UNKNOWN_PIVOT = "00000000000000"  # what ANCT's own exports write when the SIRET is unknown


def load_json(path: Path) -> Any:
    """The parsed JSON of `path` (UTF-8, a BOM allowed)."""
    return json.loads(path.read_text(encoding="utf-8-sig"))


def records(data: Any, *keys: str) -> list[dict[str, Any]]:
    """The list of records of an export: the top-level list, or the first of `keys` present."""
    if isinstance(data, list):
        return [item for item in data if isinstance(item, dict)]
    for key in keys:
        if isinstance(data, dict) and isinstance(data.get(key), list):
            return [item for item in data[key] if isinstance(item, dict)]
    return []


def phone(value: object) -> str:
    """A French number in E.164 (+33...), as the national schema wants; '' if not a number."""
    text = str(value or "").strip()
    if not text:
        return ""
    try:
        parsed = phonenumbers.parse(text, "FR")
    except phonenumbers.NumberParseException:
        return ""
    if not phonenumbers.is_valid_number(parsed):
        return ""
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def iso_date(value: object) -> str:
    """'2025-02-14', '2025-02-14T10:00:00+00:00' or '01/10/2026 00:00:00' as '2025-02-14'."""
    text = str(value or "").strip()
    if not text:
        return ""
    for pattern, size in (("%Y-%m-%d", 10), ("%d/%m/%Y", 10)):
        try:
            return datetime.strptime(text[:size], pattern).date().isoformat()
        except ValueError:
            continue
    return ""


def text(value: object) -> str:
    """A cell: None is empty, numbers as written, strings stripped."""
    return "" if value is None else str(value).strip()


def today_iso() -> str:
    """Today's date, for records that carry none (their `date_maj` is then the import date)."""
    return date.today().isoformat()
