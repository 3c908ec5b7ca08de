"""Nearest points on the map: a latitude/longitude grid searched ring by ring.

The grid keeps a query at national scale (20,000+ places) to a few cells around the
resident instead of a loop over every place. Distances are great-circle (haversine).
"""

from __future__ import annotations

import heapq
import math
from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import Generic, TypeVar

T = TypeVar("T")
EARTH_RADIUS_M = 6_371_008.8
METRES_PER_DEGREE = math.pi * EARTH_RADIUS_M / 180
PER_CELL = 2  # points per cell on average: few distances to compute, few empty cells to visit
MIN_CELL, MAX_CELL = 0.002, 2.0  # degrees: about 200 m to 200 km of latitude


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
        self.cells: dict[tuple[int, int], list[tuple[float, float, T]]] = defaultdict(list)
        for lat, lon, item in points:
            self.cells[self._key(lat, lon)].append((lat, lon, item))
        self.size = len(points)
        rows, cols = [key[0] for key in self.cells], [key[1] for key in self.cells]
        self.bounds = (min(rows), max(rows), min(cols), max(cols)) if self.cells else None

    def _key(self, lat: float, lon: float) -> tuple[int, int]:
        return math.floor(lat / self.cell), math.floor(lon / self.cell)

    def _ring(self, centre: tuple[int, int], radius: int) -> Iterator[tuple[int, int]]:
        """The cells at Chebyshev distance `radius` from `centre` that may hold points."""
        row, col = centre
        low_row, high_row, low_col, high_col = self.bounds
        first_col, last_col = max(col - radius, low_col), min(col + radius, high_col)
        for edge in {row - radius, row + radius}:
            if low_row <= edge <= high_row:
                yield from ((edge, c) for c in range(first_col, last_col + 1))
        first_row, last_row = max(row - radius + 1, low_row), min(row + radius - 1, high_row)
        for edge in {col - radius, col + radius}:
            if low_col <= edge <= high_col:
                yield from ((r, edge) for r in range(first_row, last_row + 1))

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
        centre = self._key(lat, lon)
        low_row, high_row, low_col, high_col = self.bounds
        last = max(
            abs(centre[0] - low_row), abs(centre[0] - high_row),
            abs(centre[1] - low_col), abs(centre[1] - high_col),
        )  # fmt: skip
        heap: list[tuple[float, int, T]] = []
        order = 0
        for radius in range(last + 1):
            for key in self._ring(centre, radius):
                for plat, plon, item in self.cells.get(key, ()):
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
