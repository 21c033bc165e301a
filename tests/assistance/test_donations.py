"""The donations ledger: recording, the refusals (code and field), reversals, who sees what, and
totals reproducing Fengxian's figures (6,099,000.00 yuan from individuals and 10,918,000.00 yuan
from enterprises in place)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from bangfu.assistance import donations
from bangfu.assistance.models import (
    Campaign,
    DonationEntry,
    DonationForm,
    DonationKind,
    DonorType,
    Partner,
    PartnerKind,
    SocialPairing,
    SocialPairingKind,
)
from bangfu.audit.models import AuditAction, AuditEntry
from bangfu.core.errors import BangfuError, ErrorCode
from bangfu.regions.models import Region

pytestmark = pytest.mark.django_db

SONGJIANG, FENGXIAN = "310117000000", "310120000000"
NABING, FENGGANG = "532822106207", "520327000000"
DAY = dt.date(2024, 5, 20)


@pytest.fixture
def ledger(db: Any, users: dict[str, Any]) -> dict[str, Any]:
    """Partners of Songjiang and Fengxian, Fengxian's 千百十 campaign, and three pairings:
    a Songjiang enterprise with Nabing village (Menghai, paired with Songjiang), the same
    enterprise with Fenggang county (not paired with Songjiang: seen through the partner only),
    and a Fengxian enterprise with Fenggang in the campaign."""
    region = {c: Region.objects.get(code=c) for c in (SONGJIANG, FENGXIAN, NABING, FENGGANG)}
    sj = Partner.objects.create(
        name="松江测试企业", kind=PartnerKind.ENTERPRISE, region=region[SONGJIANG]
    )
    fx = Partner.objects.create(
        name="奉贤测试企业", kind=PartnerKind.ENTERPRISE, region=region[FENGXIAN]
    )
    campaign = Campaign.objects.create(
        code="fx-qianbaishi",
        name="奉贤“千百十”",
        district=region[FENGXIAN],
        start_year=2017,
        target_helpers=1000,
        target_households=1000,
        target_enterprises=100,
        target_villages=100,
        target_sectors=10,
    )
    start = dt.date(2018, 1, 1)
    nabing = SocialPairing.objects.create(
        kind=SocialPairingKind.ENTERPRISE_VILLAGE, partner=sj, west=region[NABING], start_date=start
    )
    sj_fenggang = SocialPairing.objects.create(
        kind=SocialPairingKind.ENTERPRISE_VILLAGE,
        partner=sj,
        west=region[FENGGANG],
        start_date=start,
    )
    fengxian = SocialPairing.objects.create(
        kind=SocialPairingKind.ENTERPRISE_VILLAGE,
        partner=fx,
        west=region[FENGGANG],
        campaign=campaign,
        start_date=start,
    )
    return {
        "users": users,
        "admin": users["admin"],
        "campaign": campaign,
        "nabing": nabing,
        "sj_fenggang": sj_fenggang,
        "fengxian": fengxian,
        "sj_partner": sj,
        "fx_partner": fx,
    }


def receipt(actor: Any, n: int | str, **changes: Any) -> DonationEntry:
    """A money receipt of 1,000.00 yuan from an enterprise, receipt number R-<n> (none for
    ``n == ""``)."""
    values: dict[str, Any] = {
        "kind": DonationKind.RECEIPT,
        "form": DonationForm.MONEY,
        "donor_name": "测试捐赠企业",
        "donor_type": DonorType.ENTERPRISE,
        "amount": Decimal("1000.00"),
        "receipt_no": f"R-{n}" if n != "" else "",
        "entry_date": DAY,
    }
    values.update(changes)
    return donations.donation_record(actor=actor, **values)


def refused(call: Any) -> BangfuError:
    with pytest.raises(BangfuError) as caught:
        call()
    return caught.value


def fields(error: BangfuError) -> dict[str, str]:
    """field → code of every problem of a refusal."""
    return {p.field: str(p.code) for p in getattr(error, "problems", None) or [error]}


# ---------------------------------------------------------------------------- recording


def test_a_receipt_is_recorded_with_its_audit_entry(ledger: dict[str, Any]) -> None:
    actor = ledger["users"]["nabing-village"]
    entry = receipt(actor, 1, pairing=ledger["nabing"], amount="6,099,000.00", note=" 首笔 ")
    entry.refresh_from_db()
    assert entry.amount == Decimal("6099000.00") and entry.recorded_by == actor
    assert entry.pairing == ledger["nabing"] and entry.campaign is None and entry.note == "首笔"
    audit = AuditEntry.objects.get(object_type="assistance.donationentry", object_id=str(entry.pk))
    assert audit.action == AuditAction.CREATE and audit.actor == actor
    assert audit.after["amount"] == "6099000.00" and audit.reason == "donation recorded"


def test_a_pairing_gives_its_campaign(ledger: dict[str, Any]) -> None:
    entry = receipt(ledger["admin"], 1, pairing=ledger["fengxian"].pk)
    assert entry.campaign == ledger["campaign"]
    same = receipt(ledger["admin"], 2, pairing=ledger["fengxian"], campaign=ledger["campaign"])
    assert same.campaign == ledger["campaign"]
    alone = receipt(ledger["admin"], 3, campaign=ledger["campaign"])
    assert alone.pairing is None and alone.campaign == ledger["campaign"]


def test_goods_and_pledges(ledger: dict[str, Any]) -> None:
    goods = receipt(
        ledger["admin"],
        1,
        pairing=ledger["nabing"],
        form=DonationForm.GOODS,
        goods="大米 2 吨",
        amount=12000,
    )
    assert goods.amount == Decimal("12000.00") and goods.goods == "大米 2 吨"
    pledge = receipt(ledger["admin"], "", pairing=ledger["nabing"], kind=DonationKind.PLEDGE)
    assert pledge.kind == DonationKind.PLEDGE and pledge.receipt_no == ""


@pytest.mark.parametrize(
    "amount",
    [
        "12.345",  # three decimal places
        Decimal("0.001"),
        12.5,  # a float
        0.1,
        "0",
        Decimal("0.00"),
        "-5",
        -5,
        "abc",
        "1e3",
        "",
        None,
        True,
        Decimal("NaN"),
        Decimal("Infinity"),
        "1000000000000.00",  # more than the column holds
        "1,00,000",  # not thousands
        [1],
    ],
)
def test_bad_amounts_are_refused_on_the_amount_field(ledger: dict[str, Any], amount: Any) -> None:
    error = refused(lambda: receipt(ledger["admin"], 1, pairing=ledger["nabing"], amount=amount))
    assert error.code == ErrorCode.VALIDATION_ERROR and fields(error) == {
        "amount": "validation_error"
    }
    assert not DonationEntry.objects.exists()


def test_amount_messages_say_why(ledger: dict[str, Any]) -> None:
    three = refused(lambda: donations.parse_amount("12.345"))
    assert "two decimal places" in three.message and three.field == "amount"
    floating = refused(lambda: donations.parse_amount(12.5))
    assert "floating-point" in floating.message
    negative = refused(lambda: donations.parse_amount("-1"))
    assert "reversing" in negative.message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12.340", "12.34"),  # two decimal places by value
        ("6,099,000", "6099000.00"),
        ("+7", "7.00"),
        (" 0.01 ", "0.01"),
        ("999999999999.99", "999999999999.99"),
        (Decimal("10918000"), "10918000.00"),
        (15, "15.00"),
    ],
)
def test_good_amounts(text: Any, expected: str) -> None:
    amount = donations.parse_amount(text)
    assert amount == Decimal(expected) and str(amount) == expected


def test_every_problem_is_given_at_once(ledger: dict[str, Any]) -> None:
    error = refused(
        lambda: donations.donation_record(
            actor=ledger["admin"],
            pairing=ledger["nabing"],
            kind="gift",
            form=DonationForm.GOODS,
            donor_name="  ",
            donor_type="alien",
            amount="12.345",
            goods="",
            entry_date=dt.date.today() + dt.timedelta(days=2),
        )
    )
    assert fields(error) == {
        "kind": "validation_error",
        "donor_name": "validation_error",
        "donor_type": "validation_error",
        "amount": "validation_error",
        "goods": "validation_error",
        "entry_date": "validation_error",
    }


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"form": DonationForm.GOODS, "goods": " "}, "goods"),  # goods need a description
        ({"goods": "大米"}, "goods"),  # money has none
        ({"receipt_no": ""}, "receipt_no"),  # a receipt needs its number
        ({"kind": DonationKind.PLEDGE}, "receipt_no"),  # a pledge has none
        ({"entry_date": dt.date.today() + dt.timedelta(days=1)}, "entry_date"),
        ({"entry_date": "2024-05-20"}, "entry_date"),
        ({"donor_name": "x" * 201}, "donor_name"),
        ({"note": "x" * 301}, "note"),
        ({"form": "cash"}, "form"),
    ],
)
def test_refusals_name_their_field(
    ledger: dict[str, Any], changes: dict[str, Any], field: str
) -> None:
    error = refused(lambda: receipt(ledger["admin"], 1, pairing=ledger["nabing"], **changes))
    assert error.code == ErrorCode.VALIDATION_ERROR and fields(error) == {field: "validation_error"}


def test_where_the_entry_belongs(ledger: dict[str, Any]) -> None:
    nowhere = refused(lambda: receipt(ledger["admin"], 1))
    assert fields(nowhere) == {"pairing": "validation_error"}
    other = Campaign.objects.create(
        code="other", name="其他", district=ledger["campaign"].district, start_year=2020
    )
    wrong = refused(lambda: receipt(ledger["admin"], 1, pairing=ledger["fengxian"], campaign=other))
    assert fields(wrong) == {"campaign": "validation_error"} and "千百十" in wrong.message
    none = refused(lambda: receipt(ledger["admin"], 1, pairing=ledger["nabing"], campaign=other))
    assert fields(none) == {"campaign": "validation_error"}
    missing = refused(lambda: receipt(ledger["admin"], 1, pairing=999_999))
    assert missing.code == ErrorCode.SOCIAL_PAIRING_NOT_FOUND and missing.field == "pairing"
    gone = refused(lambda: receipt(ledger["admin"], 1, campaign=999_999))
    assert gone.code == ErrorCode.CAMPAIGN_NOT_FOUND and gone.field == "campaign"


def test_outside_the_capture_scope(ledger: dict[str, Any]) -> None:
    users = ledger["users"]
    # Mangshi does not even see the Nabing pairing: the same answer as for none at all.
    hidden = refused(lambda: receipt(users["mangshi-county"], 1, pairing=ledger["nabing"]))
    assert hidden.code == ErrorCode.SOCIAL_PAIRING_NOT_FOUND and hidden.status == 404
    # Songjiang does not see Fengxian's pairing or campaign.
    assert (
        refused(lambda: receipt(users["songjiang-office"], 1, pairing=ledger["fengxian"])).code
        == ErrorCode.SOCIAL_PAIRING_NOT_FOUND
    )
    assert (
        refused(lambda: receipt(users["songjiang-office"], 1, campaign=ledger["campaign"])).code
        == ErrorCode.CAMPAIGN_NOT_FOUND
    )
    # The auditor sees everything and may change nothing.
    denied = refused(lambda: receipt(users["auditor"], 1, pairing=ledger["nabing"]))
    assert denied.code == ErrorCode.PERMISSION_DENIED and denied.field == "pairing"
    # A village records for its own pairing; the eastern office for its partner's.
    assert receipt(users["nabing-village"], 1, pairing=ledger["nabing"]).pk
    assert receipt(users["songjiang-office"], 2, pairing=ledger["sj_fenggang"]).pk
    assert not DonationEntry.objects.filter(recorded_by=users["auditor"]).exists()


def test_a_receipt_number_stands_once_per_pairing(ledger: dict[str, Any]) -> None:
    first = receipt(ledger["admin"], 7, pairing=ledger["nabing"])
    twice = refused(lambda: receipt(ledger["admin"], 7, pairing=ledger["nabing"]))
    assert fields(twice) == {"receipt_no": "validation_error"} and f"#{first.pk}" in twice.message
    assert receipt(ledger["admin"], 7, pairing=ledger["sj_fenggang"]).pk  # another pairing
    donations.donation_reverse(actor=ledger["admin"], pk=first.pk, reason="金额录错")
    again = receipt(ledger["admin"], 7, pairing=ledger["nabing"], amount="1100.00")
    assert again.receipt_no == "R-7"


# ---------------------------------------------------------------------------- reversing


def test_a_reversal_nets_the_entry_to_zero(ledger: dict[str, Any]) -> None:
    actor = ledger["users"]["menghai-county"]
    entry = receipt(actor, 1, pairing=ledger["nabing"], amount="2500.50", entry_date=DAY)
    reversal = donations.donation_reverse(actor=actor, pk=entry.pk, reason=" 重复录入 ")
    reversal.refresh_from_db()
    assert reversal.reverses == entry and reversal.amount == Decimal("-2500.50")
    assert reversal.note == "重复录入" and reversal.entry_date == DAY
    assert (reversal.kind, reversal.form, reversal.donor_type, reversal.receipt_no) == (
        entry.kind,
        entry.form,
        entry.donor_type,
        entry.receipt_no,
    )
    assert donations.reversal_of(entry) == reversal
    totals = donations.donation_totals(DonationEntry.objects.all())
    assert totals["received"] == Decimal("0.00") and totals["entries"] == 2
    audit = AuditEntry.objects.get(
        object_type="assistance.donationentry", object_id=str(reversal.pk)
    )
    assert audit.reason == f"donation reversed: #{entry.pk} 重复录入"


def test_reversing_twice_or_a_reversal_is_refused(ledger: dict[str, Any]) -> None:
    admin = ledger["admin"]
    entry = receipt(admin, 1, pairing=ledger["nabing"])
    reversal = donations.donation_reverse(actor=admin, pk=entry.pk, reason="错")
    twice = refused(lambda: donations.donation_reverse(actor=admin, pk=entry.pk, reason="再"))
    assert twice.code == ErrorCode.DONATION_REVERSAL_INVALID and twice.status == 409
    assert f"#{reversal.pk}" in twice.message
    back = refused(lambda: donations.donation_reverse(actor=admin, pk=reversal.pk, reason="x"))
    assert back.code == ErrorCode.DONATION_REVERSAL_INVALID
    assert DonationEntry.objects.count() == 2


def test_reversing_needs_a_reason_and_the_scope(ledger: dict[str, Any]) -> None:
    users = ledger["users"]
    entry = receipt(ledger["admin"], 1, pairing=ledger["nabing"])
    blank = refused(
        lambda: donations.donation_reverse(actor=users["admin"], pk=entry.pk, reason=" ")
    )
    assert blank.code == ErrorCode.VALIDATION_ERROR and blank.field == "reason"
    hidden = refused(
        lambda: donations.donation_reverse(actor=users["mangshi-county"], pk=entry.pk, reason="x")
    )
    assert hidden.code == ErrorCode.DONATION_NOT_FOUND
    denied = refused(
        lambda: donations.donation_reverse(actor=users["auditor"], pk=entry.pk, reason="x")
    )
    assert denied.code == ErrorCode.PERMISSION_DENIED
    absent = refused(lambda: donations.donation_reverse(actor=users["admin"], pk=0, reason="x"))
    assert absent.code == ErrorCode.DONATION_NOT_FOUND
    assert DonationEntry.objects.count() == 1


# ---------------------------------------------------------------------------- who sees what


def test_scope_of_the_ledger(ledger: dict[str, Any]) -> None:
    admin, users = ledger["admin"], ledger["users"]
    on_nabing = receipt(admin, 1, pairing=ledger["nabing"])
    on_sj_fenggang = receipt(admin, 2, pairing=ledger["sj_fenggang"])
    on_fengxian = receipt(admin, 3, pairing=ledger["fengxian"])
    on_campaign = receipt(admin, 4, campaign=ledger["campaign"])

    def seen(username: str) -> set[int]:
        return set(donations.donation_list(user=users[username]).values_list("pk", flat=True))

    everything = {on_nabing.pk, on_sj_fenggang.pk, on_fengxian.pk, on_campaign.pk}
    assert seen("admin") == everything and seen("auditor") == everything
    # The eastern office: its partners' pairings, wherever they are.
    assert seen("songjiang-office") == {on_nabing.pk, on_sj_fenggang.pk}
    # A county, township and village: the pairings of their villages.
    assert seen("menghai-county") == {on_nabing.pk}
    assert seen("menga-township") == {on_nabing.pk}
    assert seen("nabing-village") == {on_nabing.pk}
    # An unrelated county: nothing.
    assert seen("mangshi-county") == set()
    assert seen("qingpu-office") == set()
    hidden = refused(lambda: donations.donation_get(user=users["mangshi-county"], pk=on_nabing.pk))
    assert hidden.code == ErrorCode.DONATION_NOT_FOUND


def test_filters(ledger: dict[str, Any]) -> None:
    admin = ledger["admin"]
    a = receipt(admin, 1, pairing=ledger["nabing"], entry_date=dt.date(2023, 1, 5))
    b = receipt(
        admin,
        "",
        pairing=ledger["fengxian"],
        kind=DonationKind.PLEDGE,
        donor_type=DonorType.INDIVIDUAL,
    )
    c = receipt(admin, 3, campaign=ledger["campaign"], form=DonationForm.GOODS, goods="书")

    def found(**f: Any) -> list[int]:
        listed = donations.donation_list(user=admin, filters=donations.DonationFilter(**f))
        return sorted(listed.values_list("pk", flat=True))

    assert found(pairing=ledger["nabing"].pk) == [a.pk]
    assert found(campaign=ledger["campaign"].pk) == sorted([b.pk, c.pk])
    assert found(kind=DonationKind.PLEDGE) == [b.pk]
    assert found(form=DonationForm.GOODS) == [c.pk]
    assert found(donor_type=DonorType.INDIVIDUAL) == [b.pk]
    assert found(date_from=dt.date(2024, 1, 1)) == sorted([b.pk, c.pk])
    assert found(date_to=dt.date(2023, 12, 31)) == [a.pk]


# ---------------------------------------------------------------------------- totals

FENGXIAN_INDIVIDUALS = ["2500000.00", "1999999.99", "1599000.01"]  # 6,099,000.00
FENGXIAN_ENTERPRISES = ["5000000.00", "3918000.50", "1999999.50"]  # 10,918,000.00


def test_totals_reproduce_fengxians_figures(ledger: dict[str, Any]) -> None:
    """千百十: 6.099 M yuan from individuals and 10.918 M yuan from enterprises in place."""
    admin, pairing, campaign = ledger["admin"], ledger["fengxian"], ledger["campaign"]
    n = 0

    def add(amount: str, donor_type: str, **changes: Any) -> DonationEntry:
        nonlocal n
        n += 1
        values = {"pairing": pairing, "donor_type": donor_type, "amount": amount}
        return receipt(admin, f"FX-{n}", **(values | changes))

    for amount in FENGXIAN_INDIVIDUALS:
        add(amount, DonorType.INDIVIDUAL, donor_name="奉贤区结对干部")
    for i, amount in enumerate(FENGXIAN_ENTERPRISES):
        # half of them recorded for the campaign itself, not a pairing
        add(amount, DonorType.ENTERPRISE, **({"pairing": None, "campaign": campaign} if i else {}))
    wrong = add("300000.00", DonorType.ENTERPRISE)  # entered twice, reversed
    donations.donation_reverse(actor=admin, pk=wrong.pk, reason="重复")
    add("800000.00", DonorType.ENTERPRISE, kind=DonationKind.PLEDGE, receipt_no="")
    add("45000.00", DonorType.SOCIAL_ORG, form=DonationForm.GOODS, goods="冬衣 300 件")

    totals = donations.donation_totals(donations.donation_list(user=admin))
    individual = totals["by_donor_type"][DonorType.INDIVIDUAL]
    enterprise = totals["by_donor_type"][DonorType.ENTERPRISE]
    assert individual["received_money"] == Decimal("6099000.00")
    assert enterprise["received_money"] == Decimal("10918000.00")
    assert enterprise["pledged_money"] == Decimal("800000.00")
    assert totals["received_money"] == Decimal("17017000.00")
    assert totals["received_goods"] == Decimal("45000.00")
    assert totals["received"] == Decimal("17062000.00")
    assert totals["pledged"] == Decimal("800000.00") and totals["entries"] == 10
    assert totals["by_donor_type"][DonorType.UNIT]["received"] == Decimal("0.00")
    for figures in (totals, individual, enterprise):
        for name in donations.FIGURES:
            assert isinstance(figures[name], Decimal) and figures[name].as_tuple().exponent == -2
    # Per campaign: every entry is Fengxian's campaign's (the pairing carries it).
    by_campaign = donations.totals_by_campaign(DonationEntry.objects.all())
    assert by_campaign[campaign.pk]["received"] == totals["received"]
    # Per pairing: the pairing's own entries; the campaign's own ones are left out.
    by_pairing = donations.totals_by_pairing(DonationEntry.objects.all())
    assert set(by_pairing) == {pairing.pk}
    assert by_pairing[pairing.pk]["by_donor_type"][DonorType.ENTERPRISE]["received_money"] == (
        Decimal("5000000.00")
    )
    assert by_pairing[pairing.pk]["by_donor_type"][DonorType.INDIVIDUAL]["received_money"] == (
        Decimal("6099000.00")
    )


def test_totals_of_nothing_are_zero(ledger: dict[str, Any]) -> None:
    totals = donations.donation_totals(DonationEntry.objects.none())
    assert totals["entries"] == 0
    assert all(totals[name] == Decimal("0.00") for name in donations.FIGURES)
    assert set(totals["by_donor_type"]) == set(DonorType.values)
    assert donations.totals_by_pairing(DonationEntry.objects.none()) == {}


def test_totals_are_one_query(ledger: dict[str, Any], django_assert_num_queries: Any) -> None:
    for n in range(5):
        receipt(ledger["admin"], n, pairing=ledger["nabing"])
    entries = donations.donation_list(user=ledger["admin"])
    with django_assert_num_queries(1):
        donations.donation_totals(entries)
    with django_assert_num_queries(1):
        donations.totals_by_pairing(entries)
