"""A project's fund flow: three independent readings of the ledger that reconcile to zero,
the batch reading of the lists equal to the page's, reversals netting out, and the chart's
bands tinted by the fund source whose money they are."""

from __future__ import annotations

import re
from typing import Any

import pytest

from bangfu.projects import services
from bangfu.projects.benefits import BenefitIn, benefit_pay
from bangfu.projects.flow import fund_flow, money_by_project
from bangfu.projects.ledger import Move, ledger_post, ledger_reverse
from bangfu.projects.models import Entry, Posting
from bangfu.projects.sankey import sankey_svg
from bangfu.regions.models import Region
from tests.projects.conftest import DAY, MENGHAI, make_households

pytestmark = pytest.mark.django_db


@pytest.fixture
def second(users: dict[str, Any]) -> Any:
    admin = users["admin"]
    other = services.project_save(
        actor=admin,
        code="roads",
        name="道路硬化",
        kind="infrastructure",
        region=Region.objects.get(code=MENGHAI),
        year=2025,
    )
    services.fund(
        actor=admin,
        fund_source="local_fiscal",
        year=2025,
        amount="50000",
        entry_date=DAY,
        voucher="L-1",
        idempotency_key="l-1",
    )
    services.allocate(
        actor=admin,
        project=other,
        fund_source="local_fiscal",
        year=2025,
        amount="30000",
        entry_date=DAY,
        voucher="L-2",
        idempotency_key="l-2",
    )
    return other


def test_the_lists_money_equals_the_pages_for_every_project(users, project, second):
    admin = users["admin"]
    services.allocate(
        actor=admin,
        project=second,
        fund_source="east_aid",
        year=2025,
        amount="1000",
        entry_date=DAY,
        voucher="A",
        idempotency_key="a",
    )
    services.pay_contractor(
        actor=admin,
        project=project,
        payee="勐海建筑公司",
        source=services.source_account("east_aid", 2025),
        amount="250000",
        entry_date=DAY,
        voucher="P",
        idempotency_key="p",
    )
    # A transfer from one project to the other, then money between two accounts of one
    # project (which is neither received nor paid).
    ledger_post(
        actor=admin,
        kind="transfer",
        entry_date=DAY,
        voucher="T",
        idempotency_key="t",
        moves=[
            Move(
                services.project_account(project),
                services.project_account(second),
                services.source_account("east_aid", 2025),
                5000,
            )
        ],
    )
    implementer = services._account(
        "prj-nabing-tea-implementer", name="实施单位", kind="project", project=project
    )
    ledger_post(
        actor=admin,
        kind="disbursement",
        entry_date=DAY,
        voucher="D",
        idempotency_key="d",
        moves=[
            Move(
                services.project_account(project),
                implementer,
                services.source_account("east_aid", 2025),
                700,
            )
        ],
    )
    money = money_by_project([project.pk, second.pk])
    for each in (project, second):
        flow = fund_flow(each)
        assert money[each.pk] == (flow.received, flow.paid)
        assert flow.reconciled and flow.difference == 0
    assert money[project.pk] == (60_000_000, 25_000_000 + 5000)
    assert money[second.pk] == (3_000_000 + 100_000 + 5000, 0)


def test_a_reversed_allocation_counts_as_nothing(users, project):
    entry = Entry.objects.get(voucher="HD-2025-02")
    ledger_reverse(
        actor=users["admin"],
        entry=entry,
        entry_date=DAY,
        voucher="R",
        idempotency_key="r",
        reason="下达有误",
    )
    flow = fund_flow(project)
    assert (flow.received, flow.paid, flow.held) == (0, 0, 0) and flow.links == []
    assert money_by_project([project.pk]).get(project.pk, (0, 0)) == (0, 0)


def test_a_broken_posting_shows_as_a_difference(users, project):
    """The reconciliation can fail: a posting on the project's account with no other side."""
    flow = fund_flow(project)
    assert flow.reconciled
    entry = Entry.objects.get(voucher="HD-2025-02")
    Posting.objects.bulk_create(
        [
            Posting(
                entry=entry,
                account=services.project_account(project),
                source=services.source_account("east_aid", 2025),
                amount_fen=1,
            )
        ]
    )
    assert fund_flow(project).difference == -1 and not fund_flow(project).reconciled


def test_payments_are_drawn_in_the_colour_of_their_source(users, project):
    admin = users["admin"]
    services.fund(
        actor=admin,
        fund_source="local_fiscal",
        year=2025,
        amount="100",
        entry_date=DAY,
        voucher="L",
        idempotency_key="l",
    )
    services.allocate(
        actor=admin,
        project=project,
        fund_source="local_fiscal",
        year=2025,
        amount="100",
        entry_date=DAY,
        voucher="L2",
        idempotency_key="l2",
    )
    (household,) = make_households(users, 1)
    for source, key in (("east_aid", "w1"), ("local_fiscal", "w2")):
        benefit_pay(
            actor=admin,
            project=project,
            source=services.source_account(source, 2025),
            mechanism="wages",
            year=2025,
            rows=[BenefitIn("50.00", household)],
            entry_date=DAY,
            voucher=key,
            idempotency_key=key,
        )
    flow = fund_flow(project)
    payee = "Households paid (联农带农)"
    assert [b for b in flow.bands if b[1] == payee] == [
        (str(project), payee, 5000, "Eastern fiscal aid (e.g. 沪滇合作资金) 2025"),
        (str(project), payee, 5000, "Local fiscal funds 2025"),
    ]
    assert (str(project), payee, 10000) in flow.links
    svg = sankey_svg(flow.bands, title="t")
    bands = re.findall(r'<path class="link" d="[^"]*" fill="([^"]+)"[^>]*><title>([^<]*)', svg)
    colours = {colour for colour, tip in bands if tip.split(":")[0].endswith(payee)}
    assert len(colours) == 2  # one band per source, each in its source's colour
