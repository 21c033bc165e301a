"""The donations ledger (社会帮扶资金): pledges and receipts of money and goods, per social
pairing and/or campaign. See docs/donations.md.

Rules (every write path — forms, API, spreadsheet import — goes through ``donation_record``
and ``donation_reverse``, each one transaction with an audit entry):

* **Append-only.** An entry is never changed or deleted (the model, its QuerySet and database
  triggers refuse it). A wrong entry is corrected by ``donation_reverse``: a reversing entry
  of the opposite amount, with ``reverses`` pointing at it, then a new right entry.
* **The reversal copies the entry** — pairing, campaign, kind, form, donor, donor type, goods,
  receipt number and *entry date* — so that under any filter (date range included) an entry
  and its reversal are both in or both out and sum to zero. Its own ``recorded_at`` and note
  (the reason) say when and why it was corrected. A reversal is not reversed (record the entry
  again instead) and an entry is reversed once.
* **Where.** An entry belongs to a social pairing or a campaign (or both); the actor needs the
  capture scope over it (``selectors.pairings_for``/``campaigns_for`` with ``"capture"``). An
  entry of a pairing takes the pairing's campaign; naming another campaign is refused.
* **Amount.** Yuan as ``Decimal`` (or ``int``, or text such as ``"1500.00"`` or
  ``"6,099,000.00"``), more than 0 and at most 999,999,999,999.99 (the column's 14 digits),
  with at most two decimal places by value (``12.50`` and ``12.500`` are the same amount;
  ``12.345`` is refused). A ``float`` is refused: binary floating point cannot hold every
  amount in fen exactly. For goods, the amount is their assessed value.
* **Receipts and pledges.** A receipt (到位) needs its receipt number — the donation receipt
  (公益事业捐赠票据) for money, the acceptance voucher for goods — and a receipt number is used
  once per pairing (or per campaign, for entries without a pairing) among entries that stand
  (not reversed, not reversals): the same receipt entered twice would count the money twice.
  A pledge (认捐) has no receipt; its number stays empty (an agreement number goes in the note).
* **Goods.** A goods entry needs a description of the goods; a money entry has none.
* **Date.** The day of the pledge or receipt; not in the future.

Totals (``donation_totals``) are computed by the database, exactly: each amount as whole fen
(``ROUND(amount * 100)``, an integer) summed per kind, form and donor type in one GROUP BY, and
turned back into ``Decimal`` yuan. (SQLite keeps decimals as binary floats; summing integers
of fen keeps the totals exact on SQLite as on PostgreSQL.) Reversals are entries like the
others: a reversed entry and its reversal net to zero.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from bangfu.assistance.models import (
    Campaign,
    DonationEntry,
    DonationForm,
    DonationKind,
    DonorType,
    SocialPairing,
)
from bangfu.assistance.selectors import campaigns_for, donations_for, pairings_for
from bangfu.audit.services import save_with_history
from bangfu.core.errors import BangfuError, ErrorCode, not_found
from bangfu.core.money import CENT, MAX_YUAN, parse_yuan, sum_fen, yuan
from bangfu.registry.importers import DATE, IDENT, REGION, CellError
from bangfu.registry.importers.cells import (
    convert_code,
    convert_date,
    convert_ident,
    convert_int,
    convert_name,
    convert_region,
    convert_text,
)
from bangfu.registry.services import Problem, ValidationFailed
from bangfu.registry.sheets import (
    SheetColumn,
    SheetRow,
    SheetSpec,
    choice,
    spellings_of,
)

MAX_AMOUNT = MAX_YUAN  # DonationEntry.amount: 14 digits, 2 of them decimals
LIMITS = {"donor_name": 200, "goods": 300, "receipt_no": 60, "note": 300}

# The spellings a spreadsheet may use (Chinese first: the export and the template write these).
KIND_LABELS_ZH = {DonationKind.PLEDGE: "认捐", DonationKind.RECEIPT: "到位"}
FORM_LABELS_ZH = {DonationForm.MONEY: "资金", DonationForm.GOODS: "物资"}
DONOR_TYPE_LABELS_ZH = {
    DonorType.INDIVIDUAL: "个人",
    DonorType.ENTERPRISE: "企业",
    DonorType.SOCIAL_ORG: "社会组织",
    DonorType.UNIT: "机关单位",
    DonorType.OTHER: "其他",
}

Target = SocialPairing | int | None
CampaignRef = Campaign | int | None


# ---------------------------------------------------------------------------- reads

MAX_ID = 2**63 - 1  # ids are 64-bit: a larger number names nothing (SQLite would overflow)


def _possible_id(pk: Any) -> bool:
    return isinstance(pk, int) and not isinstance(pk, bool) and 0 < pk <= MAX_ID


@dataclass(frozen=True)
class DonationFilter:
    """What a ledger list, its export, its totals and the API filter by."""

    pairing: int | None = None
    campaign: int | None = None
    kind: str = ""
    form: str = ""
    donor_type: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None


def may_record(user: Any) -> bool:
    """Whether ``user`` may record ledger entries at all: a pairing or a campaign in their
    capture scope (what the recording and import pages ask before they open; every entry is
    still checked by ``donation_check``)."""
    return pairings_for(user, "capture").exists() or campaigns_for(user, "capture").exists()


def donation_list(*, user: Any, filters: DonationFilter | None = None) -> QuerySet[DonationEntry]:
    """Ledger entries the user sees (``selectors.donations_for``), filtered, newest first.
    ``campaign`` also finds the entries of the campaign's pairings (they carry it)."""
    entries = donations_for(user, "view")
    f = filters or DonationFilter()
    if any(pk is not None and not _possible_id(pk) for pk in (f.pairing, f.campaign)):
        return entries.none()
    if f.pairing is not None:
        entries = entries.filter(pairing=f.pairing)
    if f.campaign is not None:
        entries = entries.filter(campaign=f.campaign)
    if f.kind:
        entries = entries.filter(kind=f.kind)
    if f.form:
        entries = entries.filter(form=f.form)
    if f.donor_type:
        entries = entries.filter(donor_type=f.donor_type)
    if f.date_from is not None:
        entries = entries.filter(entry_date__gte=f.date_from)
    if f.date_to is not None:
        entries = entries.filter(entry_date__lte=f.date_to)
    return entries.select_related("pairing__west", "reverses").order_by("-entry_date", "-pk")


def donation_get(*, user: Any, pk: int) -> DonationEntry:
    entry = donation_list(user=user).filter(pk=pk).first() if _possible_id(pk) else None
    if entry is None:
        raise not_found(ErrorCode.DONATION_NOT_FOUND, _("donation entry"))
    return entry


def reversal_of(entry: DonationEntry) -> DonationEntry | None:
    """The entry that reverses ``entry``, if any."""
    return DonationEntry.objects.filter(reverses=entry.pk).first()


# ---------------------------------------------------------------------------- totals

FIGURES = (
    "pledged",
    "received",
    "pledged_money",
    "pledged_goods",
    "received_money",
    "received_goods",
)


def _figures(fen: dict[tuple[str, str], int]) -> dict[str, Decimal]:
    """The six figures from fen by (kind, form)."""
    pm = fen.get((DonationKind.PLEDGE, DonationForm.MONEY), 0)
    pg = fen.get((DonationKind.PLEDGE, DonationForm.GOODS), 0)
    rm = fen.get((DonationKind.RECEIPT, DonationForm.MONEY), 0)
    rg = fen.get((DonationKind.RECEIPT, DonationForm.GOODS), 0)
    return {
        "pledged": yuan(pm + pg),
        "received": yuan(rm + rg),
        "pledged_money": yuan(pm),
        "pledged_goods": yuan(pg),
        "received_money": yuan(rm),
        "received_goods": yuan(rg),
    }


def _assemble(rows: Iterable[dict[str, Any]]) -> dict[str, Any]:
    everything: dict[tuple[str, str], int] = {}
    by_type: dict[str, dict[tuple[str, str], int]] = {t: {} for t in DonorType.values}
    count = 0
    for row in rows:
        key = (row["kind"], row["form"])
        fen = int(row["fen"] or 0)
        everything[key] = everything.get(key, 0) + fen
        cell = by_type.setdefault(row["donor_type"], {})
        cell[key] = cell.get(key, 0) + fen
        count += int(row["n"])
    return {
        "entries": count,
        **_figures(everything),
        "by_donor_type": {t: _figures(cells) for t, cells in by_type.items()},
    }


def _grouped(entries: QuerySet[DonationEntry], *by: str) -> QuerySet[Any]:
    grouped: QuerySet[Any] = (
        entries.order_by()
        .values(*by, "kind", "form", "donor_type")
        .annotate(fen=sum_fen("amount"), n=Count("pk"))
        .order_by()
    )
    return grouped


def donation_totals(entries: QuerySet[DonationEntry]) -> dict[str, Any]:
    """Totals of the entries (any filtered ledger queryset), by the database, exact:

    ``entries`` (how many, reversals included); ``pledged`` and ``received`` (money and the
    value of goods); ``pledged_money``, ``pledged_goods``, ``received_money``,
    ``received_goods``; and ``by_donor_type``: the same six for every donor type (zero when
    none). Amounts are ``Decimal`` yuan with two places; reversals count with their negative
    amounts, so a reversed entry adds nothing."""
    return _assemble(_grouped(entries))


def _totals_by(entries: QuerySet[DonationEntry], field: str) -> dict[int, dict[str, Any]]:
    rows: dict[int, list[dict[str, Any]]] = {}
    for row in _grouped(entries.filter(**{f"{field}__isnull": False}), field):
        rows.setdefault(row[field], []).append(row)
    return {key: _assemble(group) for key, group in rows.items()}


def totals_by_pairing(entries: QuerySet[DonationEntry]) -> dict[int, dict[str, Any]]:
    """``donation_totals`` per pairing id, in one query (entries without a pairing left out)."""
    return _totals_by(entries, "pairing")


def totals_by_campaign(entries: QuerySet[DonationEntry]) -> dict[int, dict[str, Any]]:
    """``donation_totals`` per campaign id, in one query (entries without a campaign left
    out); a pairing's entries count for its campaign."""
    return _totals_by(entries, "campaign")


# ---------------------------------------------------------------------------- checks


def parse_amount(value: object, *, field: str = "amount") -> Decimal:
    """An amount in yuan as the ledger keeps it: more than 0 (a wrong entry is reversed, never
    offset by a negative one), or a refusal naming ``field`` (``money.parse_yuan``)."""
    amount = parse_yuan(value, field=field, positive=True)
    assert amount is not None  # a blank amount is refused
    return amount


@dataclass(frozen=True)
class DonationIn:
    """An entry that passed every check, ready to be written."""

    pairing: SocialPairing | None
    campaign: Campaign | None
    kind: str
    form: str
    donor_name: str
    donor_type: str
    amount: Decimal
    goods: str
    receipt_no: str
    entry_date: dt.date
    note: str

    def kwargs(self) -> dict[str, Any]:
        return {f: getattr(self, f) for f in asdict(self)}


def _refusal(code: ErrorCode, message: str, field: str) -> BangfuError:
    return BangfuError(code, message, field=field)


def _target(
    actor: Any,
    ref: Any,
    model: type[Any],
    selector: Any,
    *,
    field: str,
    missing: tuple[ErrorCode, str],
    outside: str,
) -> Any:
    """The pairing or campaign ``ref`` (an object or its id) that the actor sees, refused as
    absent when hidden and as outside the capture scope when only seen."""
    if ref is None:
        return None
    pk = ref.pk if isinstance(ref, model) else ref
    found = selector(actor, "view").filter(pk=pk).first() if _possible_id(pk) else None
    if found is None:
        error = not_found(*missing)
        raise _refusal(error.code, error.message, field)
    if not selector(actor, "capture").filter(pk=pk).exists():
        raise _refusal(ErrorCode.PERMISSION_DENIED, outside, field)
    return found


def _pairing_for(actor: Any, pairing: Target) -> SocialPairing | None:
    return _target(  # type: ignore[no-any-return]
        actor,
        pairing,
        SocialPairing,
        pairings_for,
        field="pairing",
        missing=(ErrorCode.SOCIAL_PAIRING_NOT_FOUND, _("pairing")),
        outside=_("Recording donations of this pairing is outside your capture scope."),
    )


def _campaign_for(actor: Any, campaign: CampaignRef) -> Campaign | None:
    return _target(  # type: ignore[no-any-return]
        actor,
        campaign,
        Campaign,
        campaigns_for,
        field="campaign",
        missing=(ErrorCode.CAMPAIGN_NOT_FOUND, _("campaign")),
        outside=_("Recording donations of this campaign is outside your capture scope."),
    )


def _text(value: Any) -> str:
    return " ".join(str(value or "").split())


def donation_check(
    *,
    actor: Any,
    pairing: Target = None,
    campaign: CampaignRef = None,
    kind: str,
    form: str,
    donor_name: str,
    donor_type: str,
    amount: Any,
    goods: str = "",
    receipt_no: str = "",
    entry_date: dt.date,
    note: str = "",
) -> DonationIn:
    """Every rule of ``donation_record`` without writing: the entry as it would be written.
    Refuses a pairing or campaign the actor does not see (404) or may not capture for (403);
    otherwise every problem at once (``ValidationFailed``, one ``Problem`` per field)."""
    where = _pairing_for(actor, pairing)
    chosen = _campaign_for(actor, campaign)
    problems: list[Problem] = []

    def problem(field: str, message: str, code: ErrorCode = ErrorCode.VALIDATION_ERROR) -> None:
        problems.append(Problem(field=field, code=str(code), message=message))

    if where is None and chosen is None:
        problem("pairing", _("Choose the pairing or the campaign the entry belongs to."))
    if where is not None:
        if chosen is not None and chosen.pk != where.campaign_id:
            problem(
                "campaign",
                _("The pairing belongs to the campaign “{campaign}”, not to “{chosen}”.").format(
                    campaign=where.campaign, chosen=chosen
                )
                if where.campaign_id
                else _("The pairing belongs to no campaign; leave the campaign empty."),
            )
        chosen = where.campaign
    if kind not in DonationKind.values:
        problem("kind", _("Choose pledged or received."))
    if form not in DonationForm.values:
        problem("form", _("Choose money or goods."))
    if donor_type not in DonorType.values:
        problem("donor_type", _("Choose the type of donor."))
    texts = {
        "donor_name": _text(donor_name),
        "goods": _text(goods),
        "receipt_no": "".join(str(receipt_no or "").split()),
        "note": str(note or "").strip(),
    }
    for name, text in texts.items():
        if len(text) > LIMITS[name]:
            problem(name, _("At most {n} characters.").format(n=LIMITS[name]))
    if not texts["donor_name"]:
        problem("donor_name", _("Give the donor's name."))
    try:
        value = parse_amount(amount)
    except BangfuError as error:
        problem("amount", error.message)
        value = CENT
    if form == DonationForm.GOODS and not texts["goods"]:
        problem("goods", _("Describe the goods (what and how many)."))
    if form == DonationForm.MONEY and texts["goods"]:
        problem("goods", _("A money entry has no goods; leave the goods empty."))
    if kind == DonationKind.RECEIPT and not texts["receipt_no"]:
        problem(
            "receipt_no",
            _(
                "A receipt needs its receipt number (the donation receipt for money, the "
                "acceptance voucher for goods)."
            ),
        )
    if kind == DonationKind.PLEDGE and texts["receipt_no"]:
        problem(
            "receipt_no",
            _(
                "A pledge has no receipt; record the receipt when the money or goods arrive "
                "(an agreement number goes in the note)."
            ),
        )
    if not isinstance(entry_date, dt.date) or isinstance(entry_date, dt.datetime):
        problem("entry_date", _("Give the date as YYYY-MM-DD."))
    elif entry_date > timezone.localdate():
        problem("entry_date", _("The date cannot be in the future."))
    if (
        kind == DonationKind.RECEIPT
        and texts["receipt_no"]
        and (where is not None or chosen is not None)
        and not problems
    ):
        same = standing_receipts(pairing=where, campaign=chosen, receipt_no=texts["receipt_no"])
        first = same.order_by("pk").first()
        if first is not None:
            problem(
                "receipt_no",
                _(
                    "Receipt number {number} is already in the ledger (entry #{pk} of "
                    "{date}); reverse that entry first if it was wrong."
                ).format(number=texts["receipt_no"], pk=first.pk, date=first.entry_date),
            )
    if problems:
        raise ValidationFailed(problems)
    return DonationIn(
        pairing=where,
        campaign=chosen,
        kind=kind,
        form=form,
        donor_name=texts["donor_name"],
        donor_type=donor_type,
        amount=value,
        goods=texts["goods"],
        receipt_no=texts["receipt_no"],
        entry_date=entry_date,
        note=texts["note"],
    )


def standing_receipts(
    *, pairing: SocialPairing | None, campaign: Campaign | None, receipt_no: str
) -> QuerySet[DonationEntry]:
    """Receipts with this number that stand (neither reversed nor a reversal) in the same
    pairing, or — for entries without a pairing — the same campaign."""
    where = (
        Q(pairing=pairing) if pairing is not None else Q(pairing__isnull=True, campaign=campaign)
    )
    return DonationEntry.objects.filter(
        where,
        kind=DonationKind.RECEIPT,
        receipt_no=receipt_no,
        reverses__isnull=True,
        reversed_by__isnull=True,
    )


# ---------------------------------------------------------------------------- writes


@transaction.atomic
def donation_record(
    *,
    actor: Any,
    pairing: Target = None,
    campaign: CampaignRef = None,
    kind: str,
    form: str,
    donor_name: str,
    donor_type: str,
    amount: Any,
    goods: str = "",
    receipt_no: str = "",
    entry_date: dt.date,
    note: str = "",
) -> DonationEntry:
    """Record a pledge or a receipt (see the module's rules); returns the new entry."""
    inputs: dict[str, Any] = {
        "actor": actor,
        "pairing": pairing,
        "campaign": campaign,
        "kind": kind,
        "form": form,
        "donor_name": donor_name,
        "donor_type": donor_type,
        "amount": amount,
        "goods": goods,
        "receipt_no": receipt_no,
        "entry_date": entry_date,
        "note": note,
    }
    data = donation_check(**inputs)
    if data.receipt_no:
        # Lock the pairing's (or campaign's) row and check again: two recordings of one
        # receipt number at once on PostgreSQL wait for each other here and the second is
        # refused (no unique index can say "not reversed"). SQLite serialises writers anyway.
        _lock(data.pairing, data.campaign)
        data = donation_check(**inputs)
    entry = DonationEntry(**data.kwargs(), recorded_by=actor)
    save_with_history(actor=actor, obj=entry, before=None, reason=gettext_noop("donation recorded"))
    return entry


def _lock(pairing: SocialPairing | None, campaign: Campaign | None) -> None:
    if pairing is not None:
        SocialPairing.objects.select_for_update().filter(pk=pairing.pk).first()
    elif campaign is not None:
        Campaign.objects.select_for_update().filter(pk=campaign.pk).first()


@transaction.atomic
def donation_reverse(*, actor: Any, pk: int, reason: str) -> DonationEntry:
    """Reverse an entry: a new entry of the opposite amount, the same in every other respect
    (date included), ``reverses`` set and the reason as its note. Refuses a reversal, an entry
    already reversed (``DONATION_REVERSAL_INVALID``) and an entry outside the actor's capture
    scope. Returns the reversing entry."""
    visible = (
        donations_for(actor, "view").filter(pk=pk).values_list("pk", flat=True).first()
        if _possible_id(pk)
        else None
    )
    if visible is None:
        raise not_found(ErrorCode.DONATION_NOT_FOUND, _("donation entry"))
    if not donations_for(actor, "capture").filter(pk=pk).exists():
        raise BangfuError(
            ErrorCode.PERMISSION_DENIED,
            _("Reversing entries of this pairing or campaign is outside your capture scope."),
        )
    entry = DonationEntry.objects.select_for_update().get(pk=pk)
    if entry.reverses_id is not None:
        raise BangfuError(
            ErrorCode.DONATION_REVERSAL_INVALID,
            _(
                "Entry #{pk} is itself a reversal (of #{original}) and cannot be reversed; "
                "record the entry again instead."
            ).format(pk=entry.pk, original=entry.reverses_id),
        )
    already = reversal_of(entry)
    if already is not None:
        raise BangfuError(
            ErrorCode.DONATION_REVERSAL_INVALID,
            _("Entry #{pk} is already reversed by #{reversal}.").format(
                pk=entry.pk, reversal=already.pk
            ),
        )
    why = str(reason or "").strip()
    if not why:
        raise BangfuError(
            ErrorCode.VALIDATION_ERROR, _("Give the reason for the reversal."), field="reason"
        )
    if len(why) > LIMITS["note"]:
        raise BangfuError(
            ErrorCode.VALIDATION_ERROR,
            _("At most {n} characters.").format(n=LIMITS["note"]),
            field="reason",
        )
    reversal = DonationEntry(
        pairing_id=entry.pairing_id,
        campaign_id=entry.campaign_id,
        kind=entry.kind,
        form=entry.form,
        donor_name=entry.donor_name,
        donor_type=entry.donor_type,
        amount=-entry.amount,
        goods=entry.goods,
        receipt_no=entry.receipt_no,
        entry_date=entry.entry_date,
        reverses=entry,
        note=why,
        recorded_by=actor,
    )
    try:
        with transaction.atomic():
            save_with_history(
                actor=actor,
                obj=reversal,
                before=None,
                reason=f"{gettext_noop('donation reversed')}: #{entry.pk} {why}",
            )
    except IntegrityError:  # reversed at the same moment by someone else
        raise BangfuError(
            ErrorCode.DONATION_REVERSAL_INVALID,
            _("Entry #{pk} has just been reversed by someone else.").format(pk=entry.pk),
        ) from None
    return reversal


# ---------------------------------------------------------------------------- import

# The ledger's spreadsheet columns and row check. ``imports.TABLES["donations"]`` runs them,
# writing each row through ``donation_record`` (pages /assistance/import/donations/, command
# ``bangfu import-donations``).


def _amount_cell(raw: str, numeric: bool) -> Decimal:
    """An amount cell: "1,500.00", "1500元", "¥1500" read as text; never rounded (a third
    decimal is refused, as by the service)."""
    text = unicodedata.normalize("NFKC", raw).strip()
    text = text.removesuffix("元").removeprefix("¥").strip()
    try:
        return parse_amount(text)
    except BangfuError as error:
        raise CellError(ErrorCode.IMPORT_CELL_INVALID, error.message) from None


def _choices(labels_zh: dict[Any, str], choices: list[tuple[str, Any]]) -> dict[str, list[str]]:
    """Each code with its Chinese label first, then its English label."""
    return {str(code): [labels_zh[code], str(label)] for code, label in choices}


def donation_sheet() -> SheetSpec:
    """The ledger's spreadsheet columns (built per call: the notes are in the active language)."""
    return SheetSpec(
        name="社会帮扶资金",
        columns=(
            SheetColumn(
                "pairing",
                ("结对编号", "pairing id", "pairing"),
                convert_int,
                width=10,
                note=gettext_lazy(
                    "The pairing's number in Bangfu; or give the partner and the western "
                    "region code instead; or neither, for an entry of a campaign only."
                ),
            ),
            SheetColumn(
                "partner",
                ("帮扶主体", "partner", "partner name"),
                convert_text,
                width=24,
                note=gettext_lazy("The partner's name, with the western region code."),
            ),
            SheetColumn(
                "west",
                ("结对地区代码", "west code", "western region code", "region code"),
                convert_region,
                kind=REGION,
                width=16,
                note=gettext_lazy("The 12-digit code of the western region paired."),
            ),
            SheetColumn(
                "campaign",
                ("活动代码", "campaign code", "campaign"),
                convert_code,
                width=16,
                note=gettext_lazy(
                    "The campaign's code; empty takes the pairing's campaign. Required when "
                    "no pairing is given."
                ),
            ),
            SheetColumn(
                "kind",
                ("类型", "kind"),
                choice(_choices(KIND_LABELS_ZH, DonationKind.choices), str(_("kind"))),
                required=True,
                width=8,
                note="认捐 (pledged) / 到位 (received)",
            ),
            SheetColumn(
                "form",
                ("形式", "form"),
                choice(_choices(FORM_LABELS_ZH, DonationForm.choices), str(_("form"))),
                required=True,
                width=8,
                note="资金 (money) / 物资 (goods)",
            ),
            SheetColumn(
                "donor_name",
                ("捐赠方", "donor", "donor name"),
                convert_name,
                required=True,
                width=24,
            ),
            SheetColumn(
                "donor_type",
                ("捐赠方类型", "donor type"),
                choice(_choices(DONOR_TYPE_LABELS_ZH, DonorType.choices), str(_("donor type"))),
                required=True,
                width=12,
                note="个人 / 企业 / 社会组织 / 机关单位 / 其他",
            ),
            SheetColumn(
                "amount",
                ("金额(元)", "金额", "amount (yuan)", "amount"),
                _amount_cell,
                required=True,
                width=16,
                note=gettext_lazy(
                    "Yuan, more than 0, at most two decimal places; for goods, their value."
                ),
            ),
            SheetColumn(
                "goods",
                ("物资", "goods"),
                convert_text,
                width=24,
                note=gettext_lazy("What and how many; required for goods, empty for money."),
            ),
            SheetColumn(
                "receipt_no",
                ("票据号", "receipt number", "receipt no", "receipt_no"),
                convert_ident("票据号"),
                kind=IDENT,
                width=18,
                note=gettext_lazy("Required for a receipt; empty for a pledge."),
            ),
            SheetColumn(
                "entry_date",
                ("日期", "date", "entry date"),
                convert_date,
                required=True,
                kind=DATE,
                width=12,
                note=gettext_lazy("2024-03-01, 2024/3/1 or 2024年3月1日."),
            ),
            SheetColumn("note", ("备注", "note"), convert_text, width=30),
        ),
        fields={"pairing": ("partner", "west", "campaign"), "campaign": ("pairing",)},
    )


class DonationRows:
    """Checks the rows of a ledger file for ``actor``: finds each row's pairing (by number, or
    by partner name and western region code) and campaign (by code) among those the actor
    sees, applies ``donation_check``, and refuses a receipt number given twice in the file."""

    def __init__(self, actor: Any) -> None:
        self.actor = actor
        self.seen: dict[tuple[int | None, int | None, str], int] = {}
        self._pairings: dict[tuple[str, str], list[SocialPairing]] = {}
        self._campaigns: dict[str, Campaign | None] = {}

    def pairing(self, row: SheetRow) -> SocialPairing | int | None:
        number, partner, west = row.get("pairing"), row.get("partner"), row.get("west")
        if number is not None:
            if partner or west:
                found = self._by_partner(row, partner, west) if partner and west else []
                if partner and west and all(p.pk != number for p in found):
                    raise _refusal(
                        ErrorCode.VALIDATION_ERROR,
                        _("Pairing {n} is not the pairing of {partner} with {west}.").format(
                            n=number, partner=partner, west=west
                        ),
                        "pairing",
                    )
            return int(number)
        if not partner and not west:
            return None
        if not (partner and west):
            raise _refusal(
                ErrorCode.VALIDATION_ERROR,
                _("Give both the partner and the western region code (or the pairing number)."),
                "partner" if not partner else "west",
            )
        found = self._by_partner(row, partner, west)
        if not found:
            raise _refusal(
                ErrorCode.SOCIAL_PAIRING_NOT_FOUND,
                _("No pairing of {partner} with {west} is visible to you.").format(
                    partner=partner, west=west
                ),
                "partner",
            )
        if len(found) > 1:
            raise _refusal(
                ErrorCode.VALIDATION_ERROR,
                _(
                    "{partner} has {n} pairings with {west}; give the pairing number "
                    "(结对编号) instead."
                ).format(partner=partner, n=len(found), west=west),
                "partner",
            )
        return found[0]

    def _by_partner(self, row: SheetRow, partner: str, west: str) -> list[SocialPairing]:
        key = (partner, west)
        if key not in self._pairings:
            self._pairings[key] = list(
                pairings_for(self.actor, "view").filter(
                    partner__name__in=spellings_of(partner), west__code=west
                )
            )
        return self._pairings[key]

    def campaign(self, row: SheetRow) -> Campaign | None:
        code = row.get("campaign")
        if not code:
            return None
        if code not in self._campaigns:
            self._campaigns[code] = campaigns_for(self.actor, "view").filter(code=code).first()
        found = self._campaigns[code]
        if found is None:
            raise _refusal(
                ErrorCode.CAMPAIGN_NOT_FOUND,
                _("No campaign with the code {code} is visible to you.").format(code=code),
                "campaign",
            )
        return found

    def __call__(self, row: SheetRow) -> DonationIn:
        pairing = self.pairing(row)
        campaign = self.campaign(row)
        data = donation_check(
            actor=self.actor,
            pairing=pairing,
            campaign=campaign,
            kind=row.get("kind", ""),
            form=row.get("form", ""),
            donor_name=row.get("donor_name", ""),
            donor_type=row.get("donor_type", ""),
            amount=row.get("amount"),
            goods=row.get("goods", ""),
            receipt_no=row.get("receipt_no", ""),
            entry_date=row.get("entry_date"),
            note=row.get("note", ""),
        )
        if data.kind == DonationKind.RECEIPT:
            key = (
                data.pairing.pk if data.pairing else None,
                data.campaign.pk if data.campaign and not data.pairing else None,
                data.receipt_no,
            )
            if key in self.seen:
                raise _refusal(
                    ErrorCode.VALIDATION_ERROR,
                    _("Receipt number {number} is given twice: rows {first} and {row}.").format(
                        number=data.receipt_no, first=self.seen[key], row=row.number
                    ),
                    "receipt_no",
                )
            self.seen[key] = row.number
        return data
