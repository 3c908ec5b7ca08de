"""The grid index gives exactly what a plain scan gives, nearest first."""

from __future__ import annotations

import random
from itertools import islice

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.nearest import Grid, haversine_m, nearest_linear

BREST = (48.390834, -4.485556)
PARIS = (48.8566, 2.3522)

latitudes = st.floats(min_value=41.0, max_value=51.5)
longitudes = st.floats(min_value=-5.5, max_value=9.6)
points = st.lists(st.tuples(latitudes, longitudes), min_size=1, max_size=60)


def test_haversine_brest_paris_is_about_505_km():
    assert haversine_m(*BREST, *PARIS) == pytest.approx(505_000, rel=0.01)
    assert haversine_m(*BREST, *BREST) == 0


@settings(max_examples=200, deadline=None)
@given(points, latitudes, longitudes, st.integers(min_value=1, max_value=8))
def test_grid_matches_a_linear_scan(coords, lat, lon, count):
    items = [(a, b, i) for i, (a, b) in enumerate(coords)]
    got = list(islice(Grid(items).by_distance(lat, lon), count))
    expected = nearest_linear(items, lat, lon, count)
    assert [d for d, _ in got] == pytest.approx([d for d, _ in expected])


def test_every_point_comes_out_once_in_order_of_distance():
    rng = random.Random(7)
    items = [(rng.uniform(48.3, 48.5), rng.uniform(-4.6, -4.4), i) for i in range(500)]
    found = list(Grid(items).by_distance(*BREST))
    assert sorted(i for _, i in found) == list(range(500))
    assert [d for d, _ in found] == sorted(d for d, _ in found)


def test_max_distance_stops_the_search():
    items = [(*BREST, "here"), (*PARIS, "paris")]
    assert [i for _, i in Grid(items).by_distance(*BREST, max_m=50_000)] == ["here"]


def test_empty_grid_finds_nothing():
    assert list(Grid([]).by_distance(*BREST)) == []
