"""Household income per person (人均纯收入), exactly, in Decimal yuan (POLICY.md §1.4).

net income            = wages + business income + property + transfers − business costs
net income per person = net income ÷ persons
after rigid spending  = (net income − medical − education − rehabilitation − disaster) ÷ persons

Per-person figures are rounded half-up to the fen once, at the end; nothing passes through float.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

FEN = Decimal("0.01")


@dataclass(frozen=True)
class IncomeInputs:
    persons: int
    wage_income: Decimal
    business_income: Decimal
    business_costs: Decimal
    property_income: Decimal
    transfer_income: Decimal
    medical_spending: Decimal = Decimal(0)
    education_spending: Decimal = Decimal(0)
    rehabilitation_spending: Decimal = Decimal(0)
    disaster_spending: Decimal = Decimal(0)


@dataclass(frozen=True)
class IncomeFigures:
    net_income: Decimal
    net_income_pc: Decimal
    rigid_spending: Decimal
    net_income_pc_after_rigid: Decimal


def per_person(amount: Decimal, persons: int) -> Decimal:
    if persons <= 0:
        raise ValueError("persons must be at least 1")
    return (amount / Decimal(persons)).quantize(FEN, rounding=ROUND_HALF_UP)


def income_figures(inputs: IncomeInputs) -> IncomeFigures:
    net = (
        inputs.wage_income
        + inputs.business_income
        + inputs.property_income
        + inputs.transfer_income
        - inputs.business_costs
    )
    rigid = (
        inputs.medical_spending
        + inputs.education_spending
        + inputs.rehabilitation_spending
        + inputs.disaster_spending
    )
    return IncomeFigures(
        net_income=net.quantize(FEN, rounding=ROUND_HALF_UP),
        net_income_pc=per_person(net, inputs.persons),
        rigid_spending=rigid.quantize(FEN, rounding=ROUND_HALF_UP),
        net_income_pc_after_rigid=per_person(net - rigid, inputs.persons),
    )
