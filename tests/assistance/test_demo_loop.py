"""The demo's household loop: helpers in the villages with alerts (纳丙村's with a helper login),
assignments and visits, cases with measures and cases still waiting; a second run adds nothing."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from bangfu.accounts.models import User
from bangfu.assistance import selectors
from bangfu.assistance.demo_loop import HELPER_LOGIN, household_loop_demo
from bangfu.assistance.models import Assignment, Helper, Measure, Visit
from bangfu.monitoring.models import Case
from tests.monitoring.test_monitoring import _household, monitor


def test_the_demo_loop_fills_the_worklists_once(users: dict[str, Any]) -> None:
    admin = users["admin"]
    for i in range(5):
        _household(admin, f"532822106207900{i}", status="exited", kind="exited", income_pc=5000)
    monitor(admin)
    report = household_loop_demo()
    assert report.helpers_created == Helper.objects.count() == 4  # 2 cadres, 2 volunteers
    assert report.assigned == Assignment.objects.count() == 5
    assert report.visits == Visit.objects.count() == 4  # one household not yet visited
    assert report.cases_admitted == Case.objects.count() == 3
    assert report.measures == Measure.objects.count() == 1
    today = timezone.localdate()
    village = users["nabing-village"]
    assert len(selectors.cases_waiting_for_measure(village, today)) == 2
    assert any(
        r.overdue
        for r in selectors.assignment_rows(selectors.current_assignments_for(village), today)
    )
    helper_login = User.objects.get(username=HELPER_LOGIN)
    mine = selectors.households_for(helper_login)
    assert mine.count() == Assignment.objects.filter(helper__user=helper_login).count() > 0
    # Songjiang's volunteers count in the district's figures, through its campaign.
    from bangfu.assistance.models import Campaign
    from bangfu.assistance.stats import assistance_stats
    from bangfu.regions.models import Region

    campaign = Campaign.objects.get(code="songjiang-qianrenlianqianhu")
    assert Helper.objects.filter(campaign=campaign).count() == 2
    figures = assistance_stats(district=Region.objects.get(code="310117000000"))
    assert figures["helpers"] >= 1
    assert household_loop_demo().helpers_created == 0  # idempotent
    assert Helper.objects.count() == 4
