"""National layout columns 22-25 (危房户, 饮水安全, 饮水困难, 人均纯收入): kept as the file
reported them where they add to Bangfu's own figures, and shown beside those on the
household page, marked where the two disagree."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from bangfu.regions.scope import RegionScope
from bangfu.registry.importers import import_households
from bangfu.registry.models import Household
from bangfu.registry.services import income_record_save
from tests.registry.test_importers import household, write_csv

pytestmark = pytest.mark.django_db
NO = "5328221062070701"


def _import(tmp_path: Path, users: dict[str, Any], **head: str) -> Household:
    rows = household(NO, 4, **head)
    result = import_households(write_csv(tmp_path / "r.csv", rows), actor=users["admin"])
    assert result.ok, result.problems
    return Household.objects.get(household_no=NO)


def _income_of_6000(made: Household, users: dict[str, Any]) -> None:
    """A 2024 income record: 24,000 of wages for four people, 6,000.00 per person."""
    income_record_save(
        actor=users["admin"],
        capture=RegionScope.everything(),
        household=made,
        year=2024,
        amounts={"wage_income": "24000"},
    )


def test_a_first_import_keeps_what_the_file_reported(tmp_path: Path, users: dict[str, Any]) -> None:
    made = _import(tmp_path, users, dangerous_house="是", net_income_pc="3800")
    assert made.reported_dangerous_house is True and made.reported_water_safe is True
    assert made.reported_net_income_pc == Decimal("3800.00")
    assert made.latest_net_income_pc is None, "never used as Bangfu's own figure"


def test_the_page_shows_both_figures_and_where_they_disagree(
    tmp_path: Path, users: dict[str, Any], client_for: Any
) -> None:
    made = _import(tmp_path, users, net_income_pc="3800")
    _income_of_6000(made, users)
    made.refresh_from_db()
    assert made.latest_net_income_pc == Decimal("6000.00")
    page = client_for("nabing-village").get(f"/households/{made.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    html = page.content.decode()
    section = html[html.index('id="reported-figures"') :]
    assert "3,800.00" in section and "6,000.00" in section
    assert section.index("disagree") < section.index("</table>")


def test_a_figure_that_agrees_with_bangfus_own_is_not_kept(
    tmp_path: Path, users: dict[str, Any]
) -> None:
    made = _import(tmp_path, users, net_income_pc="3800")
    _income_of_6000(made, users)
    rows = household(NO, 4, net_income_pc="6000.00")
    result = import_households(write_csv(tmp_path / "again.csv", rows), actor=users["admin"])
    assert result.households_updated == 1
    made.refresh_from_db()
    assert made.reported_net_income_pc is None, "it agrees: nothing to keep beside it"
    again = import_households(write_csv(tmp_path / "again.csv", rows), actor=users["admin"])
    assert again.households_unchanged == 1 and again.households_updated == 0


def test_the_api_shows_reported_figures_read_only(
    tmp_path: Path, users: dict[str, Any], api_token: Any
) -> None:
    from django.test import Client

    made = _import(tmp_path, users, net_income_pc="3800")
    client = Client(headers=api_token("menghai-county"))
    body = client.get(f"/api/v1/households/{made.pk}").json()
    assert body["reported_net_income_pc"] == "3800.00" and body["reported_water_safe"] is True
    client = Client(headers=api_token("admin"))
    response = client.patch(
        f"/api/v1/households/{made.pk}",
        {"reported_net_income_pc": "1"},
        content_type="application/json",
    )
    assert response.status_code in (200, 422)
    made.refresh_from_db()
    assert made.reported_net_income_pc == Decimal("3800.00"), "not writable through the API"
