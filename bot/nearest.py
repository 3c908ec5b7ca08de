"""Nearest points on the map: a latitude/longitude grid searched ring by ring.

The grid keeps a query at national scale (20,000+ places) to a few cells around the
resident instead of a loop over every place. Distances are great-circle (haversine).
"""

from __future__ import annotations

import heapq
import math
from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import Generic, TypeVar, cast

T = TypeVar("T")
EARTH_RADIUS_M = 6_371_008.8
METRES_PER_DEGREE = math.pi * EARTH_RADIUS_M / 180
PER_CELL = 2  # points per cell on average: few distances to compute, few empty cells to visit
MIN_CELL, MAX_CELL = 0.002, 2.0  # degrees: about 200 m to 200 km of latitude
STRIDE = 1 << 18  # cell key = row * STRIDE + col; |col| <= 180 / MIN_CELL < STRIDE / 2


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres between two points given in degrees."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlambda = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def cell_size(points: list[tuple[float, float, T]]) -> float:
    """A cell side, in degrees, that puts about PER_CELL points in each cell."""
    if len(points) < 2:
        return MAX_CELL
    lats, lons = [p[0] for p in points], [p[1] for p in points]
    area = max(max(lats) - min(lats), MIN_CELL) * max(max(lons) - min(lons), MIN_CELL)
    return min(MAX_CELL, max(MIN_CELL, math.sqrt(PER_CELL * area / len(points))))


class Grid(Generic[T]):
    """Items bucketed by grid cell; `by_distance` yields them nearest first."""

    def __init__(self, points: Iterable[tuple[float, float, T]], cell: float | None = None):
        points = list(points)
        self.cell = cell or cell_size(points)
        buckets: dict[int, list[float | T]] = defaultdict(list)
        rows, cols = set(), set()
        for lat, lon, item in points:
            row, col = self._row_col(lat, lon)
            rows.add(row)
            cols.add(col)
            buckets[row * STRIDE + col].extend((lat, lon, item))
        # One flat tuple per cell (lat, lon, item, lat, lon, item...) under an int key: a
        # fraction of the memory of a list of 3-tuples under a (row, col) key, per grid.
        self.cells: dict[int, tuple[float | T, ...]] = {k: tuple(v) for k, v in buckets.items()}
        self.size = len(points)
        self.bounds = (min(rows), max(rows), min(cols), max(cols)) if rows else None

    def _row_col(self, lat: float, lon: float) -> tuple[int, int]:
        return math.floor(lat / self.cell), math.floor(lon / self.cell)

    def _ring(self, centre: tuple[int, int], radius: int) -> Iterator[int]:
        """Keys of the cells at Chebyshev distance `radius` from `centre` that may hold points."""
        if self.bounds is None:
            return
        row, col = centre
        low_row, high_row, low_col, high_col = self.bounds
        first_col, last_col = max(col - radius, low_col), min(col + radius, high_col)
        for edge in {row - radius, row + radius}:
            if low_row <= edge <= high_row:
                yield from (edge * STRIDE + c for c in range(first_col, last_col + 1))
        first_row, last_row = max(row - radius + 1, low_row), min(row + radius - 1, high_row)
        for edge in {col - radius, col + radius}:
            if low_col <= edge <= high_col:
                yield from (r * STRIDE + edge for r in range(first_row, last_row + 1))

    def _beyond(self, lat: float, radius: int) -> float:
        """A lower bound, in metres, of the distance to any cell outside ring `radius`."""
        # Meridians converge: bound the width of a cell by the highest latitude it may reach.
        top = min(89.9, abs(lat) + (radius + 1) * self.cell)
        width = self.cell * METRES_PER_DEGREE * min(1.0, math.cos(math.radians(top)))
        return radius * width

    def by_distance(
        self, lat: float, lon: float, max_m: float = math.inf
    ) -> Iterator[tuple[float, T]]:
        """Yield (distance in metres, item), nearest first, up to `max_m` metres."""
        if self.bounds is None:
            return
        centre = self._row_col(lat, lon)
        low_row, high_row, low_col, high_col = self.bounds
        last = max(
            abs(centre[0] - low_row), abs(centre[0] - high_row),
            abs(centre[1] - low_col), abs(centre[1] - high_col),
        )  # fmt: skip
        heap: list[tuple[float, int, T]] = []
        order = 0
        for radius in range(last + 1):
            for key in self._ring(centre, radius):
                cell = iter(self.cells.get(key, ()))
                # The flat cell holds (lat, lon, item) runs: read it back three at a time.
                points = cast(
                    "Iterator[tuple[float, float, T]]", zip(cell, cell, cell, strict=True)
                )
                for plat, plon, item in points:
                    order += 1
                    heapq.heappush(heap, (haversine_m(lat, lon, plat, plon), order, item))
            bound = min(self._beyond(lat, radius), max_m)
            while heap and heap[0][0] <= bound:
                distance, _, item = heapq.heappop(heap)
                yield distance, item
            if bound >= max_m:
                return
        while heap and heap[0][0] <= max_m:
            distance, _, item = heapq.heappop(heap)
            yield distance, item


def nearest_linear(
    points: Iterable[tuple[float, float, T]], lat: float, lon: float, count: int
) -> list[tuple[float, T]]:
    """The `count` nearest items by a plain scan of every point (reference and benchmark)."""
    scored = ((haversine_m(lat, lon, plat, plon), item) for plat, plon, item in points)
    return heapq.nsmallest(count, scored, key=lambda pair: pair[0])
