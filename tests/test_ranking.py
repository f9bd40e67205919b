"""Tests for corridor.evaluation.ranking: rank changes and the order and ranks text of the sensitivity table."""

from __future__ import annotations

import pytest
from _ordertext import ODD_NAMES, read_order, read_ranks

from corridor.evaluation import rank_changes


def test_rank_changes():
    assert rank_changes([1, 2, 3], [1, 2, 3]) == {"n_changed": 0, "max_shift": 0, "kendall_tau": 1.0}
    r = rank_changes([1, 2, 3], [3, 2, 1])
    assert r["n_changed"] == 2 and r["max_shift"] == 2 and r["kendall_tau"] == pytest.approx(-1.0)


def test_order_and_ranks_text_read_one_way_whatever_the_names():
    """Names holding the separators (=, >, ;), straight or curly quotes read back as the groups and ranks
    they are: a name is never split, nor two names joined, nor a tie read into a name."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from corridor.evaluation.ranking import name_text, order_text, rank_groups, ranks_text

    ranks = [1, 2, 2, 4, 5, 5, 5]
    groups = rank_groups(ODD_NAMES, ranks)
    assert read_order(order_text(groups)) == groups
    assert read_ranks(ranks_text(ODD_NAMES, ranks)) == list(zip(ODD_NAMES, ranks, strict=True))
    assert order_text(groups).startswith("“A = 1” > “B=2; C=3” = “the ““new”” line” > ")
    assert name_text("plain road") == "plain road" and name_text("") == "“”" and name_text(" a") == "“ a”"

    @settings(max_examples=300, deadline=None)
    @given(st.lists(st.text(alphabet=st.sampled_from('ab =;>“”" \n'), max_size=8), min_size=1, max_size=6,
                    unique=True), st.data())
    def round_trip(names, data):
        rs = data.draw(st.lists(st.integers(1, 3), min_size=len(names), max_size=len(names)))
        groups = rank_groups(names, rs)
        assert read_order(order_text(groups)) == groups
        assert read_ranks(ranks_text(names, rs)) == list(zip(names, rs, strict=True))

    round_trip()
