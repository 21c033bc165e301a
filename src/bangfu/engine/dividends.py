"""Cooperative dividends (合作社分红), exact to the fen: no fen lost or created by rounding.

``allocate(distributable_fen, members, minimum_fen=…)`` splits an integer number of fen among
the members in proportion to their shares, every registered-poor household getting at least
``minimum_fen`` (a cooperative's benefit-linking rule, 联农带农), and returns each member's fen;
the amounts always add up to ``distributable_fen`` exactly.

``distributable(profit_fen, ratio)``: the part of a year's profit paid out, for a ratio (a
fraction that may rise year by year, e.g. 30 % → 40 % → 50 %), rounded down to the fen; the
fen left over stays in the cooperative (its retained earnings), never paid twice.

The method
==========

1. **Minimums first (water-filling).** Each member's quota of a pool is pool × shares / total
   shares, an exact ``Fraction``. A registered-poor member whose quota of the remaining pool is
   below the minimum is given the minimum and leaves the pool; the quotas of the others are
   computed again over what remains, until no poor member is below it. (Raising one member
   lowers the others' quotas, so this repeats; it ends after at most one round per member.)
   A member with no shares is paid only a minimum, if any. When the minimums alone exceed the
   distributable amount, nothing is allocated: ``MinimumNotMet`` says by how much.
2. **Largest remainder (Hamilton's method)** for the pro-rata part: every member gets the
   whole fen of their quota; the fen still to give (fewer than the number of members) go one
   each to the members with the largest fractional remainders, ties broken by member key (so
   the result does not depend on the order members are listed in).

Each pro-rata amount is therefore within one fen of its exact quota, and the total is exact.
Shares may be ints, Decimals or Fractions (share capital in yuan, or share units); they are
compared exactly, never as floats.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from math import floor

__all__ = ["Member", "MinimumNotMet", "allocate", "distributable", "largest_remainder"]

Shares = int | Decimal | Fraction


@dataclass(frozen=True)
class Member:
    """A member household: a key (its id), its shares, whether it is registered poor."""

    key: Hashable
    shares: Shares
    registered_poor: bool = False


class MinimumNotMet(ValueError):
    """The minimums of the registered-poor members exceed what there is to distribute."""

    def __init__(self, needed_fen: int, distributable_fen: int, members: int) -> None:
        super().__init__(
            f"the minimum for {members} registered-poor households needs {needed_fen} fen, "
            f"more than the {distributable_fen} fen to distribute"
        )
        self.needed_fen = needed_fen
        self.distributable_fen = distributable_fen
        self.members = members


def distributable(profit_fen: int, ratio: Fraction | Decimal | int) -> int:
    """The fen paid out of ``profit_fen`` at ``ratio`` (0 ≤ ratio ≤ 1), rounded down."""
    share = Fraction(ratio)
    if not 0 <= share <= 1:
        raise ValueError(f"the payout ratio must lie between 0 and 1, not {ratio}")
    if profit_fen <= 0:
        return 0
    return floor(profit_fen * share)


def largest_remainder(total_fen: int, weights: Mapping[Hashable, Fraction]) -> dict[Hashable, int]:
    """``total_fen`` split in proportion to ``weights`` (≥ 0, not all 0): whole fen of each
    exact quota, then one fen each to the largest remainders (ties by key)."""
    if total_fen < 0:
        raise ValueError("nothing negative can be distributed")
    weight_sum = sum(weights.values(), Fraction(0))
    if weight_sum <= 0:
        raise ValueError("the weights must not all be zero")
    quotas = {key: total_fen * weight / weight_sum for key, weight in weights.items()}
    paid = {key: floor(quota) for key, quota in quotas.items()}
    left = total_fen - sum(paid.values())
    by_remainder = sorted(quotas, key=lambda key: (-(quotas[key] - paid[key]), _order(key)))
    for key in by_remainder[:left]:
        paid[key] += 1
    return paid


def _order(key: Hashable) -> tuple[str, str]:
    """A total order over keys of mixed types (ints, strings…), stable across runs."""
    return (type(key).__name__, f"{key!r:>40}" if isinstance(key, int) else repr(key))


def allocate(
    distributable_fen: int, members: Iterable[Member], *, minimum_fen: int = 0
) -> dict[Hashable, int]:
    """Each member's dividend in fen (see the module docstring); the values add up to
    ``distributable_fen`` exactly. Raises ``MinimumNotMet`` when the registered-poor members'
    minimums exceed ``distributable_fen``, ``ValueError`` for bad input."""
    people = _checked(members, distributable_fen, minimum_fen)
    if not people:
        if distributable_fen:
            raise ValueError("there is no member to pay")
        return {}
    floored = _minimums(distributable_fen, people, minimum_fen)
    pool = distributable_fen - minimum_fen * len(floored)
    rest = {m.key: Fraction(m.shares) for m in people if m.key not in floored}
    paid = dict.fromkeys(floored, minimum_fen)
    if pool and not any(rest.values()):
        raise ValueError("no member outside the minimums holds shares: nobody takes the rest")
    if rest and any(rest.values()):
        paid |= largest_remainder(pool, rest)
    else:
        paid |= dict.fromkeys(rest, 0)
    return paid


def _checked(members: Iterable[Member], total: int, minimum: int) -> list[Member]:
    people = list(members)
    if total < 0:
        raise ValueError("the distributable profit cannot be negative")
    if minimum < 0:
        raise ValueError("the minimum cannot be negative")
    keys = [m.key for m in people]
    if len(set(keys)) != len(keys):
        raise ValueError("a member is listed twice")
    for m in people:
        if isinstance(m.shares, float) or Fraction(m.shares) < 0:
            raise ValueError(f"member {m.key!r}: shares must be exact and not negative")
    return people


def _minimums(total: int, people: list[Member], minimum: int) -> set[Hashable]:
    """The registered-poor members paid the minimum rather than their quota (water-filling)."""
    poor = [m for m in people if m.registered_poor]
    needed = minimum * len(poor)
    if needed > total:
        raise MinimumNotMet(needed, total, len(poor))
    if minimum == 0:
        return set()
    floored: set[Hashable] = set()
    while True:
        pool = total - minimum * len(floored)
        rest = [m for m in people if m.key not in floored]
        share_sum = sum((Fraction(m.shares) for m in rest), Fraction(0))
        below = {
            m.key
            for m in rest
            if m.registered_poor
            and (share_sum == 0 or pool * Fraction(m.shares) / share_sum < minimum)
        }
        if not below:
            return floored
        floored |= below
