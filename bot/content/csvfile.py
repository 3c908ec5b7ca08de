"""CSV files read with the line where each record starts, and written back in column order."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import _csv

Rows = Iterator[tuple[int, dict[str, str]]]


@contextmanager
def open_rows(path: Path) -> Iterator[tuple[list[str], Rows]]:
    """Header and (line, record) pairs of a UTF-8 CSV, read as iterated; blank lines skipped."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        header = [name.strip() for name in next(reader, [])]
        yield header, _records(reader, header)


def _records(reader: _csv.Reader, header: list[str]) -> Rows:
    start = reader.line_num + 1
    for values in reader:
        if any(v.strip() for v in values):
            padded = values + [""] * (len(header) - len(values))
            record = dict(zip(header, padded, strict=False))
            if len(values) > len(header):
                record["\0extra"] = "|".join(values[len(header) :])
            yield start, record
        start = reader.line_num + 1


def read_rows(path: Path) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """Header and every (line, record) pair of a UTF-8 CSV; blank lines are skipped."""
    with open_rows(path) as (header, rows):
        return header, list(rows)


def write_rows(path: Path, columns: Sequence[str], rows: Iterable[Mapping[str, str]]) -> None:
    """Write records with exactly `columns`, in order, quoting only where needed."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([row.get(name, "") or "" for name in columns])
