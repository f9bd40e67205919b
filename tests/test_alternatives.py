"""Tests of corridor.align._alternatives: alternatives that differ materially, from any iterable of
waypoints (traced over the embedded DEM).
"""

from __future__ import annotations

from corridor.align import alternatives, shared_share


def test_alternatives_differ_materially():
    alts = alternatives(["Goris", "Kapan"], mode="road", k=3)
    assert 2 <= len(alts) <= 3
    assert [r.meta["alternative"] for r in alts] == list(range(len(alts)))
    for i in range(1, len(alts)):
        for j in range(i):
            assert shared_share(alts[i], alts[j]) <= 0.5
    assert alts[1].name.endswith("(alt 1)")


def test_alternatives_take_any_iterable():
    alts = alternatives(((45.30 + 0.3 * i, 39.30 - 0.2 * i) for i in range(2)), mode="road", k=1)
    assert len(alts) == 1
