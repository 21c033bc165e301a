"""Per-person income, checked against hand-worked figures (POLICY.md §1.4)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bangfu.engine.income import IncomeInputs, income_figures, per_person

D = Decimal


def test_hand_worked_household() -> None:
    # 4 persons: wages 9,600 + business 6,200 − costs 1,450 + property 380 + transfers 2,870
    # = 17,600 net; 4,400.00 per person; rigid spending 2,000 + 600 → (17,600 − 2,600) / 4 = 3,750.00
    figures = income_figures(
        IncomeInputs(
            persons=4,
            wage_income=D("9600"),
            business_income=D("6200"),
            business_costs=D("1450"),
            property_income=D("380"),
            transfer_income=D("2870"),
            medical_spending=D("2000"),
            education_spending=D("600"),
        )
    )
    assert figures.net_income == D("17600.00")
    assert figures.net_income_pc == D("4400.00")
    assert figures.rigid_spending == D("2600.00")
    assert figures.net_income_pc_after_rigid == D("3750.00")


@pytest.mark.parametrize(
    ("amount", "persons", "expected"),
    [
        ("10000", 3, "3333.33"),
        ("20000", 3, "6666.67"),
        ("0.05", 2, "0.03"),  # half-up at the fen, not banker's rounding
        ("-1000", 4, "-250.00"),  # business losses can make net income negative
    ],
)
def test_per_person_rounds_half_up_once(amount: str, persons: int, expected: str) -> None:
    assert per_person(D(amount), persons) == D(expected)


def test_a_household_has_at_least_one_person() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        per_person(D("100"), 0)


def test_summation_order_does_not_matter() -> None:
    """Decimal sums are exact: the same items in any order give the same figure to the fen."""
    items = [D("0.10")] * 10 + [D("1234.56"), D("0.01")]
    forward = sum(items, D(0))
    backward = sum(reversed(items), D(0))
    assert forward == backward == D("1235.57")
