"""Cooperative dividends: hand-worked examples and properties (hypothesis) — the amounts add up
to the distributable profit exactly, every registered-poor member gets at least the minimum,
each pro-rata amount is within one fen of its exact quota, and the order of the members does
not change anything."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bangfu.engine.dividends import (
    Member,
    MinimumNotMet,
    allocate,
    distributable,
    largest_remainder,
)


def test_pro_rata_with_the_fen_left_over_to_the_largest_remainders() -> None:
    # 100 fen over shares 1:1:1 → quotas 33⅓ each: 33 + 33 + 33, one fen left, ties by key.
    assert allocate(100, [Member("a", 1), Member("b", 1), Member("c", 1)]) == {
        "a": 34,
        "b": 33,
        "c": 33,
    }
    # 1,000 fen over 3:2:1 → 500, 333⅓, 166⅔: the 2/3 remainder takes the spare fen.
    assert allocate(1000, [Member(1, 3), Member(2, 2), Member(3, 1)]) == {1: 500, 2: 333, 3: 167}


def test_a_registered_poor_minimum_is_met_first_and_the_rest_shared_pro_rata() -> None:
    members = [Member("big", 90), Member("mid", 9), Member("poor", 1, registered_poor=True)]
    # 10,000 fen: the poor member's quota is 100 fen, below the 500 minimum → 500; the other
    # 9,500 fen go 90:9 → 8,636.36… and 863.63… → 8,636 and 864 (largest remainder).
    paid = allocate(10_000, members, minimum_fen=500)
    assert paid == {"big": 8636, "mid": 864, "poor": 500}
    assert sum(paid.values()) == 10_000
    # A poor member above the minimum keeps their quota.
    assert allocate(10_000, members, minimum_fen=50)["poor"] == 100


def test_water_filling_repeats_when_a_minimum_lowers_the_others() -> None:
    members = [
        Member("p1", 10, registered_poor=True),
        Member("p2", 12, registered_poor=True),
        Member("r", 78),
    ]
    # Round 1: quotas of 1,000 are 100, 120, 780; p1 < 115 → p1 gets 115. Round 2: 885 over
    # 12:78 → p2's quota 118 is still ≥ 115; done. r gets 767 (885 × 78/90 = 767.0).
    assert allocate(1000, members, minimum_fen=115) == {"p1": 115, "p2": 118, "r": 767}
    # With a minimum of 119, p1 → 119; then 881 over 12:78 gives p2 117.46… < 119 → p2 → 119.
    assert allocate(1000, members, minimum_fen=119) == {"p1": 119, "p2": 119, "r": 762}


def test_refusals() -> None:
    poor = [Member(i, 1, registered_poor=True) for i in range(3)]
    with pytest.raises(MinimumNotMet) as short:
        allocate(299, poor, minimum_fen=100)
    assert short.value.needed_fen == 300 and short.value.distributable_fen == 299
    with pytest.raises(ValueError, match="twice"):
        allocate(10, [Member("a", 1), Member("a", 2)])
    with pytest.raises(ValueError, match="exact"):
        allocate(10, [Member("a", 1.5)])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="no member"):
        allocate(10, [])
    assert allocate(0, []) == {}
    with pytest.raises(ValueError, match="all be zero"):
        largest_remainder(10, {"a": Fraction(0)})


def test_the_payout_ratio_rounds_down_and_may_rise_by_year() -> None:
    profit = 1_234_567  # fen
    assert distributable(profit, Fraction(3, 10)) == 370_370  # 370,370.1 → 370,370
    assert distributable(profit, Decimal("0.4")) == 493_826
    assert distributable(profit, 1) == profit and distributable(-5, Fraction(1, 2)) == 0
    with pytest.raises(ValueError, match="between 0 and 1"):
        distributable(profit, Fraction(3, 2))


members_strategy = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=10_000),  # shares
        st.booleans(),  # registered poor
    ),
    min_size=1,
    max_size=40,
).filter(lambda rows: any(shares for shares, _ in rows))


@settings(max_examples=300, deadline=None)
@given(
    rows=members_strategy,
    total=st.integers(min_value=0, max_value=10**9),
    minimum=st.integers(min_value=0, max_value=100_000),
    seed=st.randoms(use_true_random=False),
)
def test_dividends_add_up_exactly_and_meet_the_minimum(rows, total, minimum, seed) -> None:
    members = [Member(i, shares, poor) for i, (shares, poor) in enumerate(rows)]
    poor = [m for m in members if m.registered_poor]
    try:
        paid = allocate(total, members, minimum_fen=minimum)
    except MinimumNotMet:
        assert minimum * len(poor) > total
        return
    except ValueError as refusal:  # only when nobody outside the minimums holds shares
        assert "nobody takes the rest" in str(refusal)
        return
    assert sum(paid.values()) == total  # no fen lost or created
    assert all(amount >= 0 for amount in paid.values())
    assert all(paid[m.key] >= minimum for m in poor)
    # The members not held at the minimum share what is left within one fen of their quota.
    floored = {m.key for m in poor if paid[m.key] == minimum}
    rest = [m for m in members if m.key not in floored]
    pool = total - minimum * len(floored)
    weight = sum(Fraction(m.shares) for m in rest)
    if weight:
        for m in rest:
            assert abs(paid[m.key] - pool * Fraction(m.shares) / weight) < 1
    # Listing the members in another order changes nothing.
    shuffled = members[:]
    seed.shuffle(shuffled)
    assert allocate(total, shuffled, minimum_fen=minimum) == paid


@settings(max_examples=200, deadline=None)
@given(
    total=st.integers(min_value=0, max_value=10**12),
    weights=st.lists(st.fractions(min_value=0, max_value=1000), min_size=1, max_size=30).filter(
        lambda ws: any(ws)
    ),
)
def test_largest_remainder_is_exact_and_close(total, weights) -> None:
    shares = {i: Fraction(w) for i, w in enumerate(weights)}
    paid = largest_remainder(total, shares)
    assert sum(paid.values()) == total
    weight = sum(shares.values())
    for key, amount in paid.items():
        assert abs(amount - total * shares[key] / weight) < 1
