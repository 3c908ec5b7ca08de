"""Time one nearest-places query: the grid index against a plain scan, at three sizes.

    .venv/bin/python bench/nearest.py

Synthetic places spread over mainland France; queries from random points in Brittany
and elsewhere. Prints a table; runs in well under a minute.
"""

from __future__ import annotations

import random
import sys
import time
from itertools import islice
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.nearest import Grid, nearest_linear  # noqa: E402

SIZES = (100, 20_000, 200_000)
FRANCE = ((42.3, 51.0), (-4.8, 8.2))  # latitude and longitude ranges
NEAREST = 3
QUERIES = 200


def synthetic_places(count: int, rng: random.Random) -> list[tuple[float, float, int]]:
    """`count` points in mainland France, a third of them clustered around cities."""
    (lat_lo, lat_hi), (lon_lo, lon_hi) = FRANCE
    cities = [(rng.uniform(lat_lo, lat_hi), rng.uniform(lon_lo, lon_hi)) for _ in range(50)]
    points = []
    for index in range(count):
        if index % 3 == 0:
            lat, lon = rng.choice(cities)
            points.append((lat + rng.gauss(0, 0.05), lon + rng.gauss(0, 0.05), index))
        else:
            points.append((rng.uniform(lat_lo, lat_hi), rng.uniform(lon_lo, lon_hi), index))
    return points


def per_query(run, queries: list[tuple[float, float]]) -> float:
    """Mean seconds per query of `run(lat, lon)`."""
    start = time.perf_counter()
    for lat, lon in queries:
        run(lat, lon)
    return (time.perf_counter() - start) / len(queries)


def random_points(count: int, rng: random.Random) -> list[tuple[float, float]]:
    """Query points anywhere in mainland France."""
    (lat_lo, lat_hi), (lon_lo, lon_hi) = FRANCE
    return [(rng.uniform(lat_lo, lat_hi), rng.uniform(lon_lo, lon_hi)) for _ in range(count)]


def row(size: int, rng: random.Random) -> str:
    """One line of the table: build, grid query and linear scan times for `size` places."""
    places = synthetic_places(size, rng)
    start = time.perf_counter()
    grid = Grid(places)
    build = time.perf_counter() - start
    queries = random_points(QUERIES, rng)
    scans = queries[: max(5, QUERIES * 100 // size)]  # the scan is slow: fewer queries
    indexed = per_query(lambda a, b: list(islice(grid.by_distance(a, b), NEAREST)), queries)
    linear = per_query(lambda a, b: nearest_linear(places, a, b, NEAREST), scans)
    for lat, lon in scans[:5]:  # both give the same answer
        got = [item for _, item in islice(grid.by_distance(lat, lon), NEAREST)]
        assert got == [item for _, item in nearest_linear(places, lat, lon, NEAREST)]
    return (
        f"{size:>8} | {build * 1e3:>7.1f} ms | {indexed * 1e6:>7.0f} µs | "
        f"{linear * 1e3:>8.2f} ms | {linear / indexed:>6.0f}x"
    )


def main() -> None:
    """Print the table, one row per size."""
    rng = random.Random(29200)
    print(f"{'places':>8} | grid build | grid query | linear scan | speed-up")
    print(f"{'-' * 8}-+------------+------------+-------------+---------")
    for size in SIZES:
        print(row(size, rng))


if __name__ == "__main__":
    main()
