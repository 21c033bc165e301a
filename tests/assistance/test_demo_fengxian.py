"""The demo reproduces the seed's Fengxian figures from ledger records: 6,099,000.00 yuan from
individuals and 10,918,000.00 yuan from enterprises received, and the campaign page shows them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from bangfu.assistance.demo import CAMPAIGN_CODE, assistance_demo_load
from bangfu.assistance.donations import donation_totals
from bangfu.assistance.models import Campaign, DonationEntry


def test_the_demo_ledger_gives_the_seeds_totals(users: dict[str, Any], client_for: Any) -> None:
    first = assistance_demo_load()
    assert first.donations_created == 100 + 120
    assert assistance_demo_load().donations_created == 0  # idempotent
    campaign = Campaign.objects.get(code=CAMPAIGN_CODE)
    totals = donation_totals(DonationEntry.objects.filter(campaign=campaign))
    by_type = totals["by_donor_type"]
    assert by_type["individual"]["received_money"] == Decimal("6099000.00")
    assert by_type["enterprise"]["received_money"] == Decimal("10918000.00")
    assert totals["received"] == Decimal("17017000.00")
    page = client_for("admin").get(f"/assistance/campaigns/{campaign.pk}/").content.decode()
    assert "6,099,000.00" in page or "6099000.00" in page
