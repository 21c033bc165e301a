"""The project library: projects, budget, milestones, targets counted from records,
acceptance — who may change them, and refusals naming the field."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from bangfu.core.errors import BangfuError, ErrorCode
from bangfu.projects import services
from bangfu.projects.benefits import BenefitIn, benefit_pay, benefit_record
from bangfu.projects.selectors import project_list, target_actual
from bangfu.projects.services import source_account
from bangfu.regions.models import Pairing, Region
from tests.projects.conftest import DAY, MENGHAI, make_households

pytestmark = pytest.mark.django_db


def test_who_sees_and_changes_a_project(users, project):
    assert project in project_list(users["menghai-county"])
    assert project in project_list(users["songjiang-office"])  # its pairing's eastern side
    assert project not in project_list(users["mangshi-county"])
    with pytest.raises(BangfuError) as refused:
        services.budget_set(
            actor=users["mangshi-county"], project=project, fund_source="east_aid", amount="1"
        )
    assert refused.value.code == ErrorCode.PERMISSION_DENIED
    line = services.budget_set(
        actor=users["menghai-county"], project=project, fund_source="east_aid", amount="500000"
    )
    assert line.amount == Decimal("500000.00")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"code": "has space"}, "code"),
        ({"kind": "casino"}, "kind"),
        ({"name": " "}, "name"),
        ({"year": 1999}, "year"),
        ({"start_date": dt.date(2025, 5, 1), "end_date": dt.date(2025, 4, 1)}, "end_date"),
        ({"region": "533103000000"}, "region"),  # 芒市 is not on the Songjiang ↔ 勐海 pairing
        ({"year": 1990}, "year"),
    ],
)
def test_a_bad_project_is_refused_naming_the_field(users, change, field):
    values = {
        "code": "p1",
        "name": "项目",
        "kind": "industry",
        "region": MENGHAI,
        "year": 2025,
        "pairing": Pairing.objects.filter(west__code=MENGHAI).first(),
    }
    values.update(change)
    values["region"] = Region.objects.get(code=values["region"])
    with pytest.raises(BangfuError) as refused:
        services.project_save(actor=users["admin"], **values)
    assert refused.value.field in (field, "pairing")


def test_the_workflow_ends_in_acceptance(users, project):
    admin = users["admin"]
    with pytest.raises(BangfuError) as early:
        services.acceptance_record(
            actor=admin, project=project, checked_on=DAY, passed=True, inspectors="县验收组"
        )
    assert early.value.code == ErrorCode.PROJECT_TRANSITION_INVALID
    services.project_set_status(actor=admin, project=project, status="underway")
    with pytest.raises(BangfuError):
        services.project_set_status(actor=admin, project=project, status="accepted")
    services.project_set_status(actor=admin, project=project, status="completed")
    with pytest.raises(BangfuError) as silent:
        services.acceptance_record(
            actor=admin, project=project, checked_on=DAY, passed=False, inspectors="县验收组"
        )
    assert silent.value.field == "findings"
    services.acceptance_record(
        actor=admin,
        project=project,
        checked_on=DAY,
        passed=False,
        inspectors="县验收组",
        findings="排水未完工",
    )
    assert project.status == "rejected"
    services.project_set_status(actor=admin, project=project, status="underway")
    services.project_set_status(actor=admin, project=project, status="completed")
    services.acceptance_record(
        actor=admin, project=project, checked_on=DAY, passed=True, inspectors="县验收组"
    )
    project.refresh_from_db()
    assert project.status == "accepted" and project.acceptance.passed


def test_milestones_give_the_progress(users, project):
    admin = users["admin"]
    services.milestone_save(
        actor=admin, project=project, name="厂房", planned_date=DAY, progress=100, done_date=DAY
    )
    services.milestone_save(
        actor=admin, project=project, name="设备", planned_date=DAY, progress=50
    )
    assert services.project_progress(project) == 75
    with pytest.raises(BangfuError) as refused:
        services.milestone_save(
            actor=admin, project=project, name="x", planned_date=DAY, progress=60, done_date=DAY
        )
    assert refused.value.field == "progress"
    with pytest.raises(BangfuError):
        services.milestone_save(
            actor=admin, project=project, name="x", planned_date=DAY, progress=101
        )


def test_counted_targets_come_from_the_benefits_never_typed(users, project):
    admin = users["admin"]
    jobs = services.target_save(
        actor=admin, project=project, indicator="带动就业", target="500", unit="人", measure="jobs"
    )
    money = services.target_save(
        actor=admin,
        project=project,
        indicator="带动增收",
        target="100000",
        unit="元",
        measure="benefit_yuan",
    )
    mu = services.target_save(
        actor=admin,
        project=project,
        indicator="每亩增收",
        target="150",
        unit="元/亩",
        actual="162.50",
    )
    with pytest.raises(BangfuError) as typed:
        services.target_save(
            actor=admin, project=project, indicator="x", target="1", measure="jobs", actual="3"
        )
    assert typed.value.field == "actual"
    first, second = make_households(users, 2)
    benefit_pay(
        actor=admin,
        project=project,
        source=source_account("east_aid", 2025),
        mechanism="wages",
        year=2025,
        rows=[BenefitIn("1000.00", first), BenefitIn("1500.00", second)],
        entry_date=DAY,
        voucher="GZ",
        idempotency_key="gz",
    )
    benefit_record(
        actor=admin,
        project=project,
        mechanism="training",
        year=2025,
        rows=[BenefitIn("0", first)],
    )
    assert target_actual(jobs) == 2
    assert target_actual(money) == Decimal("2500.00")
    assert target_actual(mu) == Decimal("162.50")


@pytest.mark.parametrize("figure", ["1e30", "abc", "1.234", 1.5])
def test_a_bad_target_figure_is_refused_naming_the_field(users, project, figure):
    with pytest.raises(BangfuError) as refused:
        services.target_save(actor=users["admin"], project=project, indicator="亩产", target=figure)
    assert refused.value.field == "target"
