"""Monitoring in the platform: runs, alerts worklist, cases, diff, what-if, pages.

These run inside the test transaction, so the run reads the registry through Django's own
connection (``reading._read_here``); the ADBC path is exercised end to end in
``test_monitor_command.py`` on a database file the command commits to.
"""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any

import openpyxl
import pytest
from django.utils import timezone

from bangfu.accounts.scopes import scope_for
from bangfu.audit.selectors import object_history
from bangfu.core.errors import BangfuError, ErrorCode
from bangfu.monitoring import compare, runs, worklist
from bangfu.monitoring.models import Alert, AlertStatus, CaseStatus, RunResult, RunStatus
from bangfu.registry.services import household_save, income_record_save
from tests.registry.factories import household_in

YEAR = 2025
NABING = "532822106207"


def _household(admin: Any, no: str, *, status: str, kind: str, income_pc: int) -> Any:
    data = household_in(no=no, village=NABING, status=status, household_type=kind)
    household, _ = household_save(actor=admin, capture=scope_for(admin, "capture"), data=data)
    set_income(admin, household, income_pc)
    return household


def set_income(admin: Any, household: Any, income_pc: int, year: int = YEAR) -> None:
    persons = household.size
    income_record_save(
        actor=admin,
        capture=scope_for(admin, "capture"),
        household=household,
        year=year,
        persons=persons,
        amounts={"wage_income": Decimal(income_pc * persons)},
    )


@pytest.fixture
def world(users: dict[str, Any]) -> dict[str, Any]:
    admin = users["admin"]
    return {
        "admin": admin,
        # exited, below the 6,000 threshold: unstable exited household
        "a": _household(admin, "5328221062079001", status="exited", kind="exited", income_pc=5000),
        # exited, well above: nothing
        "b": _household(admin, "5328221062079002", status="exited", kind="exited", income_pc=9000),
        # never registered, below: marginal household
        "c": _household(
            admin, "5328221062079003", status="ordinary", kind="ordinary", income_pc=5500
        ),
    }


def monitor(actor: Any, year: int = YEAR, region: str | None = "532822000000") -> Any:
    run = runs.run_create(actor=actor, year=year, region_code=region)
    return runs.run_execute(run.pk)


def _ours(world: dict[str, Any]) -> list[int]:
    return [world[k].pk for k in ("a", "b", "c")]


def test_a_run_raises_alerts_with_their_reasons_and_deadline(world):
    run = monitor(world["admin"])
    assert run.status == RunStatus.DONE and run.progress == 100 and run.stage == "done"
    assert run.input_hash and run.policy_versions == {"53": run.policy_versions["53"]}
    alerts = {a.household_id: a for a in Alert.objects.filter(household__in=_ours(world))}
    assert set(alerts) == {world["a"].pk, world["c"].pk}
    a = alerts[world["a"].pk]
    assert a.category == "unstable_exited" and a.reasons == "income_below_threshold"
    assert a.values["income_fen"] == 500000 and a.values["threshold_fen"] == 600000
    assert a.due_on == timezone.localdate() + dt.timedelta(days=20)  # 20 days (Hainan rule)
    assert alerts[world["c"].pk].category == "marginal"
    assert run.policy["53"]["monitoring.threshold"]["value"] == "6000"
    assert run.summary["counties"]["532822000000"]["households"] >= 3


def test_the_same_registry_gives_the_same_results_and_no_duplicate_alerts(world):
    first = monitor(world["admin"])
    second = monitor(world["admin"])
    assert first.input_hash == second.input_hash
    fields = ("household_id", "category", "reasons", "risk_types", "income_fen", "alert")
    assert list(first.results.order_by("household_id").values_list(*fields)) == list(
        second.results.order_by("household_id").values_list(*fields)
    )
    assert second.summary["counts"]["alerts_new"] == 0
    assert Alert.objects.filter(household=world["a"]).count() == 1


def test_a_household_that_recovers_leaves_and_the_diff_says_why(world):
    first = monitor(world["admin"])
    set_income(world["admin"], world["a"], 7000)
    second = monitor(world["admin"])
    assert first.input_hash != second.input_hash
    alert = Alert.objects.get(household=world["a"])
    assert not alert.still_flagged and alert.last_run == second
    assert alert.status == AlertStatus.OPEN  # a person decides; the run does not close it
    diff = compare.run_diff(user=world["admin"], first=first, second=second)
    assert [c.household_no for c in diff.left] == ["5328221062079001"]
    assert diff.left[0].reasons_before == "income_below_threshold"
    assert diff.left[0].values["income_fen"] == 700000
    assert diff.counts == {"entered": 0, "left": 1, "changed": 0}
    back = compare.run_diff(user=world["admin"], first=second, second=first)
    assert [c.household_no for c in back.entered] == ["5328221062079001"]


def test_worklist_is_scoped_to_the_view_scope(world, users):
    monitor(world["admin"])
    ours = set(_ours(world))

    def visible(username: str) -> set[int]:
        return {a.household_id for a in worklist.alert_list(user=users[username])} & ours

    assert visible("nabing-village") == {world["a"].pk, world["c"].pk}
    assert visible("menghai-county") == {world["a"].pk, world["c"].pk}
    assert visible("mangshi-county") == set()
    alert = Alert.objects.get(household=world["a"])
    with pytest.raises(BangfuError) as refusal:
        worklist.alert_get(user=users["mangshi-county"], pk=alert.pk)
    assert refusal.value.code == ErrorCode.ALERT_NOT_FOUND


def test_only_administrators_start_runs(world, users):
    with pytest.raises(BangfuError) as refusal:
        runs.run_create(actor=users["menghai-county"], year=YEAR)
    assert refusal.value.code == ErrorCode.PERMISSION_DENIED


def test_a_missing_parameter_fails_the_run_naming_it_and_writes_nothing(world):
    run = runs.run_create(actor=world["admin"], year=2019, region_code="532822000000")
    with pytest.raises(BangfuError) as refusal:
        runs.run_execute(run.pk)
    assert refusal.value.code == ErrorCode.MONITORING_POLICY_MISSING
    assert "monitoring.threshold" in refusal.value.message
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED and "monitoring.threshold" in run.error
    assert not RunResult.objects.filter(run=run).exists()
    assert not Alert.objects.filter(run=run).exists()


def _alert(world: dict[str, Any]) -> Alert:
    monitor(world["admin"])
    return Alert.objects.get(household=world["a"])


def test_alert_workflow_to_a_case(world, users):
    alert = _alert(world)
    county, village = users["menghai-county"], users["nabing-village"]
    with pytest.raises(BangfuError) as refusal:  # cannot verify before it is assigned
        worklist.alert_verify(
            actor=village, pk=alert.pk, visit=worklist.Visit(timezone.localdate(), "x", True)
        )
    assert refusal.value.code == ErrorCode.ALERT_TRANSITION_INVALID
    with pytest.raises(BangfuError) as refusal:  # an assignee who cannot edit the village
        worklist.alert_assign(actor=county, pk=alert.pk, assignee=users["mangshi-county"])
    assert refusal.value.field == "assignee"
    worklist.alert_assign(actor=county, pk=alert.pk, assignee=village)
    with pytest.raises(BangfuError) as refusal:
        worklist.alert_verify(
            actor=village,
            pk=alert.pk,
            visit=worklist.Visit(alert.raised_on - dt.timedelta(days=1), "found", True),
        )
    assert refusal.value.field == "visited_on"
    worklist.alert_verify(
        actor=village,
        pk=alert.pk,
        visit=worklist.Visit(timezone.localdate(), "wages stopped in March", False),
    )
    with pytest.raises(BangfuError) as refusal:  # no consent to the data checks yet
        worklist.alert_admit(
            actor=village, pk=alert.pk, category="unstable_exited", risk_types=["illness"]
        )
    assert refusal.value.field == "consent"
    alert.refresh_from_db()
    alert.consent = True
    alert.save()
    with pytest.raises(BangfuError) as refusal:
        worklist.alert_admit(actor=village, pk=alert.pk, category="unstable_exited", risk_types=[])
    assert refusal.value.field == "risk_types"
    case = worklist.alert_admit(
        actor=village,
        pk=alert.pk,
        category="unstable_exited",
        risk_types=["unstable_employment", "illness"],
    )
    assert case.status == CaseStatus.OPEN and case.risk_types == ["illness", "unstable_employment"]
    assert case.measure_due_on == timezone.localdate() + dt.timedelta(days=30)
    alert.refresh_from_db()
    assert alert.status == AlertStatus.ADMITTED and alert.decided_by == village
    assert len(object_history(obj=alert)) == 3  # assigned, verified, admitted
    # The next run sees the open case: no new alert for the household.
    run = monitor(world["admin"])
    result = run.results.get(household=world["a"])
    assert result.category == "unstable_exited" and not result.alert
    assert result.elimination == "not_yet"
    assert result.elimination_reasons == "income_below_threshold,too_recent"


def test_dismissal_needs_a_reason(world, users):
    alert = _alert(world)
    with pytest.raises(BangfuError) as refusal:
        worklist.alert_dismiss(actor=users["menghai-county"], pk=alert.pk, reason=" ")
    assert refusal.value.field == "reason"
    worklist.alert_dismiss(actor=users["menghai-county"], pk=alert.pk, reason="moved away")
    alert.refresh_from_db()
    assert alert.status == AlertStatus.DISMISSED and alert.dismiss_reason == "moved away"


def _case(world: dict[str, Any], users: dict[str, Any]) -> Any:
    alert = _alert(world)
    village = users["nabing-village"]
    worklist.alert_assign(actor=village, pk=alert.pk, assignee=village)
    worklist.alert_verify(
        actor=village, pk=alert.pk, visit=worklist.Visit(timezone.localdate(), "ill", True)
    )
    return worklist.alert_admit(
        actor=village, pk=alert.pk, category="unstable_exited", risk_types=["illness"]
    )


def test_risk_elimination_follows_the_latest_run(world, users):
    case = _case(world, users)
    village, county = users["nabing-village"], users["menghai-county"]
    with pytest.raises(BangfuError) as refusal:  # no run since the case was opened
        worklist.case_verify_elimination(actor=village, pk=case.pk, mode="assisted")
    assert refusal.value.code == ErrorCode.CASE_NOT_ELIGIBLE
    monitor(world["admin"])
    with pytest.raises(BangfuError) as refusal:
        worklist.case_verify_elimination(actor=village, pk=case.pk, mode="assisted")
    assert "too_recent" not in refusal.value.message or "income" in refusal.value.message
    # Seven months on, the income above the threshold: eligible.
    case.admitted_on = timezone.localdate() - dt.timedelta(days=215)
    case.save()
    set_income(world["admin"], world["a"], 6500)
    run = monitor(world["admin"])
    assert run.results.get(household=world["a"]).elimination == "eligible"
    worklist.case_verify_elimination(actor=village, pk=case.pk, mode="assisted")
    today = timezone.localdate()
    with pytest.raises(BangfuError) as refusal:
        worklist.case_post(actor=village, pk=case.pk, start=today, end=today)
    assert refusal.value.code == ErrorCode.WORKFLOW_POSTING_PERIOD
    worklist.case_post(actor=village, pk=case.pk, start=today, end=today + dt.timedelta(days=7))
    with pytest.raises(BangfuError) as refusal:
        worklist.case_approve(actor=county, pk=case.pk)  # the posting is still running
    assert refusal.value.code == ErrorCode.WORKFLOW_POSTING_PERIOD
    worklist.case_object(actor=village, pk=case.pk, reason="neighbours say income is seasonal")
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN and case.posting_end is None
    worklist.case_verify_elimination(actor=village, pk=case.pk, mode="natural")
    worklist.case_post(
        actor=village, pk=case.pk, start=today - dt.timedelta(days=8), end=today - dt.timedelta(1)
    )
    with pytest.raises(BangfuError) as refusal:
        worklist.case_approve(actor=village, pk=case.pk)  # the county approves
    assert refusal.value.code == ErrorCode.PERMISSION_DENIED
    worklist.case_approve(actor=county, pk=case.pk)
    case.refresh_from_db()
    assert case.status == CaseStatus.ELIMINATED and case.eliminated_on == today
    assert case.elimination_mode == "natural"


def test_what_if_changes_nothing(world, users):
    monitor(world["admin"])
    alerts, results = Alert.objects.count(), RunResult.objects.count()
    result = compare.what_if(
        user=users["menghai-county"],
        year=YEAR,
        region_code="532822000000",
        overrides={"monitoring.threshold": "9500"},
    )
    entered = {c.household_no for c in result.entered}
    assert "5328221062079002" in entered  # 9,000 < 9,500
    assert not {c.household_no for c in result.left} & {"5328221062079001"}
    county = result.by_county["after"]["532822000000"]
    assert county["categorised"] - result.by_county["before"]["532822000000"]["categorised"] == (
        result.counts["entered"] - result.counts["left"]
    )
    assert (Alert.objects.count(), RunResult.objects.count()) == (alerts, results)
    with pytest.raises(BangfuError):
        compare.what_if(
            user=users["menghai-county"],
            year=YEAR,
            region_code="532822000000",
            overrides={"monitoring.threshold": "a lot"},
        )
    with pytest.raises(BangfuError) as refusal:  # a region outside the view scope
        compare.what_if(
            user=users["mangshi-county"],
            year=YEAR,
            region_code="532822000000",
            overrides={"monitoring.threshold": "9500"},
        )
    assert refusal.value.status == 404


# ---------------------------------------------------------------------------- pages


def test_worklist_page_and_excel_export(world, client_for):
    monitor(world["admin"])
    client = client_for("nabing-village")
    page = client.get("/monitoring/", {"status": "waiting"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "5328221062079001" in html and "5328221062079003" in html
    export = client.get("/monitoring/alerts.xlsx")
    assert export.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(export.streaming_content))).active
    numbers = {row[0] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert {"5328221062079001", "5328221062079003"} <= numbers
    assert (
        client_for("mangshi-county")
        .get(f"/monitoring/alerts/{Alert.objects.get(household=world['a']).pk}/")
        .status_code
        == 404
    )


def test_alert_page_steps_and_errors_name_the_field(world, client_for, users):
    alert = _alert(world)
    client = client_for("nabing-village")
    url = f"/monitoring/alerts/{alert.pk}/"
    page = client.post(url, {"step": "assign", "assignee": users["nabing-village"].pk})
    assert page.status_code == 302
    page = client.post(url, {"step": "verify", "visited_on": "30/11/2026", "notes": "x"})
    assert page.status_code == 200 and "YYYY-MM-DD" in page.content.decode()
    page = client.post(
        url,
        {
            "step": "verify",
            "visited_on": timezone.localdate().isoformat(),
            "notes": "seen",
            "consent": "on",
        },
    )
    assert page.status_code == 302
    page = client.post(
        url, {"step": "admit", "category": "unstable_exited", "risk_types": ["illness"]}
    )
    assert page.status_code == 302 and "/monitoring/cases/" in page["Location"]
    assert client.get(page["Location"]).status_code == 200
    # The alert's history names each step in the reader's language.
    history = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "已分派预警" in history and "已入户核实预警" in history and "预警已纳入监测" in history
    assert "alert assigned" not in history


def test_run_button_is_for_administrators(world, client_for):
    assert (
        client_for("menghai-county").post("/monitoring/runs/start/", {"year": YEAR}).status_code
        == 403
    )
    response = client_for("admin").post("/monitoring/runs/start/", {"year": YEAR})
    assert response.status_code == 302  # to the run page, which polls the queued run
    run_page = client_for("admin").get(response["Location"])
    assert run_page.status_code == 200 and "hx-get" in run_page.content.decode()


def test_run_diff_and_what_if_pages(world, client_for):
    first = monitor(world["admin"])
    second = monitor(world["admin"])
    client = client_for("menghai-county")
    page = client.get(
        "/monitoring/runs/diff/", {"a": first.pk, "b": second.pk}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert page.status_code == 200 and "Same registry input." in page.content.decode()
    page = client.get(
        "/monitoring/what-if/",
        {"run": "1", "year": YEAR, "region": "532822000000", "threshold": "9500"},
    )
    assert page.status_code == 200 and "5328221062079002" in page.content.decode()
    page = client.get(
        "/monitoring/what-if/", {"run": "1", "region": "532822000000"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert "Change at least one parameter." in page.content.decode()


@pytest.mark.spark
def test_a_run_on_spark_writes_what_a_run_on_polars_writes(world, spark_session):
    on_polars = monitor(world["admin"])
    run = runs.run_create(
        actor=world["admin"], year=YEAR, region_code="532822000000", engine="spark"
    )
    on_spark = runs.run_execute(run.pk)
    fields = (
        "household_id",
        "category",
        "reasons",
        "risk_types",
        "income_fen",
        "alert",
        "elimination",
        "exit_ok",
    )
    assert list(on_polars.results.order_by("household_id").values_list(*fields)) == list(
        on_spark.results.order_by("household_id").values_list(*fields)
    )
    assert on_spark.engine == "spark" and on_spark.input_hash == on_polars.input_hash
    # The same flags; the alerts the first run raised, the second refreshes.
    refreshed = {"alerts_new": 0, "alerts_updated": 0}
    assert on_spark.summary["counts"] | refreshed == on_polars.summary["counts"] | refreshed
    assert on_spark.summary["counts"]["alerts_updated"] == on_polars.summary["counts"]["alerts_new"]


def test_a_malformed_region_filter_is_named_not_a_crash(world, client_for):
    monitor(world["admin"])
    page = client_for("menghai-county").get(
        "/monitoring/", {"region": "abc"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="alert-filter-error"' in html and "5328221062079001" in html


def test_the_run_page_shows_only_the_counties_in_view(world, client_for):
    run = monitor(world["admin"], region=None)
    menghai = client_for("menghai-county").get(f"/monitoring/runs/{run.pk}/").content.decode()
    mangshi = client_for("mangshi-county").get(f"/monitoring/runs/{run.pk}/").content.decode()
    assert 'data-county="532822000000"' in menghai
    assert 'data-county="532822000000"' not in mangshi
