"""Partners, campaigns and social pairings (社会帮扶: 百企联百村, school ↔ school, hospital ↔
hospital, organisation or unit ↔ village): every write, and the scoped reads the pages and the
API need beyond ``selectors``.

Rules (each refusal is a ``BangfuError`` naming the field):

* **Who may write.** A partner: its home region in the actor's capture scope. A campaign: its
  district in the capture scope. A social pairing: its western region, its partner's home
  region or its campaign's district in the capture scope (the rule ``selectors.pairings_for``
  reads with ``purpose="capture"``); an update must satisfy it before and after the change.
* **Partners.** A name (unique in its home region), a kind, a home region; a unified social
  credit code, when given, is checked (GB 32100-2015: 18 characters and the check character).
  A partner's kind cannot change while pairings of a kind that needs it exist.
* **Campaigns.** A code (letters, digits, ``-``, ``_``; unique), a name, a district (a county or
  above), years ordered, whole-number targets.
* **Social pairings.** The kind fits the partner's kind (``KIND_NEEDS``): enterprise ↔ village
  needs an enterprise, organisation ↔ village a social organisation, unit ↔ village a
  government unit, school ↔ school a school, hospital ↔ hospital a hospital; "other" takes any.
  The ``*_village`` kinds pair with a village (or natural village). School ↔ school and
  hospital ↔ hospital name their western counterpart. The western region is a western region
  (``Region.is_west``). Dates are ordered. Money (committed money, goods value, purchases) is a
  Decimal of yuan, ≥ 0, at most 2 decimal places (never a float); jobs a whole number ≥ 0.
* **The district pairing** (``regional_pairing``, a ``regions.Pairing``), when given, must
  join the pairing's two sides: its eastern side contains the partner's home region or the
  campaign's district (a Shanghai-wide enterprise can join Fengxian's campaign under
  Fengxian ↔ Wuchuan), its western side contains the western region (Fengxian ↔ Wuchuan County
  covers every village of Wuchuan; Songjiang ↔ Xishuangbanna covers Menghai's villages), and
  its years overlap the pairing's dates. It is never guessed: left empty, the pairing is not
  linked to a district pairing (and the district statistics find it through its partner or
  campaign only).

Every write is atomic and recorded in the audit history (``audit.save_with_history``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

from django.db import transaction
from django.db.models import Model, Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from bangfu.accounts.scopes import Purpose, scope_for
from bangfu.assistance.models import (
    Campaign,
    Partner,
    PartnerKind,
    SocialPairing,
    SocialPairingKind,
)
from bangfu.assistance.selectors import campaigns_for, pairings_for, partners_for
from bangfu.audit.services import save_with_history, snapshot
from bangfu.core.errors import BangfuError, ErrorCode, not_found
from bangfu.core.money import parse_yuan
from bangfu.regions.codes import Level, check_code_shape, is_descendant_code, level_label
from bangfu.regions.models import Pairing, Region
from bangfu.regions.scope import RegionScope
from bangfu.regions.selectors import pairing_list

MIN_YEAR, MAX_YEAR = 1978, 2100
MONEY_FIELDS = ("committed_money", "committed_goods_value", "committed_purchases")

# The partner kind each pairing kind needs (None: any kind).
KIND_NEEDS: dict[str, str | None] = {
    SocialPairingKind.ENTERPRISE_VILLAGE: PartnerKind.ENTERPRISE,
    SocialPairingKind.ORG_VILLAGE: PartnerKind.SOCIAL_ORG,
    SocialPairingKind.UNIT_VILLAGE: PartnerKind.UNIT,
    SocialPairingKind.SCHOOL_SCHOOL: PartnerKind.SCHOOL,
    SocialPairingKind.HOSPITAL_HOSPITAL: PartnerKind.HOSPITAL,
    SocialPairingKind.OTHER: None,
}
VILLAGE_KINDS = frozenset(
    {
        SocialPairingKind.ENTERPRISE_VILLAGE,
        SocialPairingKind.ORG_VILLAGE,
        SocialPairingKind.UNIT_VILLAGE,
    }
)
M = TypeVar("M", bound=Model)
COUNTERPART_KINDS = frozenset(
    {SocialPairingKind.SCHOOL_SCHOOL, SocialPairingKind.HOSPITAL_HOSPITAL}
)

# GB 32100-2015: the unified social credit code's alphabet (no I, O, Z, S, V) and weights.
CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


# ---------------------------------------------------------------------------- checks


def invalid(message: str, field: str | None = None) -> BangfuError:
    return BangfuError(ErrorCode.VALIDATION_ERROR, message, field=field)


def clean_text(value: Any, field: str, max_length: int, *, required: bool = False) -> str:
    text = str(value or "").strip()
    if required and not text:
        raise invalid(_("This field is required."), field)
    if len(text) > max_length:
        raise invalid(
            _("At most {n} characters ({m} given).").format(n=max_length, m=len(text)), field
        )
    return text


def clean_money(value: Any, field: str) -> Decimal:
    """An amount of yuan ≥ 0 (blank: 0.00), or a refusal naming ``field``
    (``money.parse_yuan``)."""
    amount = parse_yuan(value, field=field, blank=Decimal("0.00"))
    assert amount is not None
    return amount


def clean_count(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        try:
            value = int(str(value).strip() or "0")
        except ValueError:
            raise invalid(_("Give a whole number."), field) from None
    if value < 0:
        raise invalid(_("A number cannot be negative."), field)
    if value > 2_000_000_000:
        raise invalid(_("The number is too large."), field)
    return int(value)


def clean_year(value: Any, field: str, *, required: bool) -> int | None:
    if value is None or value == "":
        if required:
            raise invalid(_("This field is required."), field)
        return None
    year = clean_count(value, field)
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise invalid(_("A year between {a} and {b}.").format(a=MIN_YEAR, b=MAX_YEAR), field)
    return year


def check_dates(start: dt.date | None, end: dt.date | None) -> dt.date:
    if not isinstance(start, dt.date):
        raise invalid(_("Give the start date (YYYY-MM-DD)."), "start_date")
    if end is not None and end < start:
        raise invalid(
            _("The end date {end} is before the start date {start}.").format(end=end, start=start),
            "end_date",
        )
    return start


def check_credit_code(code: str) -> str:
    """A unified social credit code (统一社会信用代码), or empty."""
    code = code.strip().upper()
    if not code:
        return ""
    if len(code) != 18 or any(c not in CREDIT_ALPHABET for c in code):
        raise invalid(
            _("A unified social credit code has 18 digits and capital letters (no I, O, S, V, Z)."),
            "credit_code",
        )
    total = sum(CREDIT_ALPHABET.index(c) * w for c, w in zip(code, CREDIT_WEIGHTS, strict=False))
    check = CREDIT_ALPHABET[(31 - total % 31) % 31]
    if code[17] != check:
        raise invalid(
            _("The check character of this credit code should be {c}: a typing error?").format(
                c=check
            ),
            "credit_code",
        )
    return code


def within(code: str, root: str) -> bool:
    """The region ``code`` is ``root`` or lies below it."""
    return code == root or is_descendant_code(code, root)


def _capture(actor: Any, capture: RegionScope | None) -> RegionScope:
    return capture if capture is not None else scope_for(actor, "capture")


def _denied(message: str) -> BangfuError:
    return BangfuError(ErrorCode.PERMISSION_DENIED, message)


# ---------------------------------------------------------------------------- reads


def partner_get(
    *, user: Any, pk: Any, purpose: Purpose = "view", field: str | None = None
) -> Partner:
    partner = _one(partners_for(user, purpose), pk)
    if partner is None:
        raise _missing(ErrorCode.PARTNER_NOT_FOUND, _("partner"), field)
    return partner


def campaign_get(
    *, user: Any, pk: Any, purpose: Purpose = "view", field: str | None = None
) -> Campaign:
    campaign = _one(campaigns_for(user, purpose), pk)
    if campaign is None:
        raise _missing(ErrorCode.CAMPAIGN_NOT_FOUND, _("campaign"), field)
    return campaign


def social_pairing_get(*, user: Any, pk: Any, purpose: Purpose = "view") -> SocialPairing:
    pairing = _one(pairings_for(user, purpose), pk)
    if pairing is None:
        raise not_found(ErrorCode.SOCIAL_PAIRING_NOT_FOUND, _("social pairing"))
    return pairing


def regional_pairing_get(*, user: Any, pk: Any, field: str | None = None) -> Pairing:
    """A district pairing (``regions.Pairing``) the user may see."""
    pairing = _one(pairing_list(scope=scope_for(user, "view")), pk)
    if pairing is None:
        raise _missing(ErrorCode.PAIRING_NOT_FOUND, _("pairing"), field)
    return pairing


def _one(qs: QuerySet[M], pk: Any) -> M | None:
    try:
        key = int(pk)
    except (TypeError, ValueError):
        return None
    return qs.filter(pk=key).first()


def _missing(code: ErrorCode, what: str, field: str | None) -> BangfuError:
    error = not_found(code, what)
    error.field = field
    return error


def partner_list(
    *, user: Any, kind: str = "", region_code: str = "", q: str = ""
) -> QuerySet[Partner]:
    partners = partners_for(user)
    if kind:
        partners = partners.filter(kind=kind)
    if region_code:
        partners = partners.filter(RegionScope.of([region_code]).q("region__code"))
    if q:
        partners = partners.filter(Q(name__contains=q) | Q(credit_code__iexact=q))
    return partners.order_by("name", "pk")


def campaign_list(*, user: Any, year: int | None = None) -> QuerySet[Campaign]:
    campaigns = campaigns_for(user)
    if year is not None:
        campaigns = campaigns.filter(start_year__lte=year).filter(
            Q(end_year__isnull=True) | Q(end_year__gte=year)
        )
    return campaigns.order_by("district__code", "start_year", "code")


def overlapping(year: int, start: str = "start_date", end: str = "end_date") -> Q:
    """Records whose date span [start, end or open] overlaps the calendar year."""
    return Q(**{f"{start}__lte": dt.date(year, 12, 31)}) & (
        Q(**{f"{end}__isnull": True}) | Q(**{f"{end}__gte": dt.date(year, 1, 1)})
    )


def social_pairing_list(
    *,
    user: Any,
    kind: str = "",
    campaign: int | None = None,
    partner: int | None = None,
    region_code: str = "",
    year: int | None = None,
    q: str = "",
) -> QuerySet[SocialPairing]:
    """Social pairings the user sees; ``region_code`` keeps those whose western region lies in
    that subtree, ``year`` those whose dates overlap the year, ``q`` searches the partner's
    name, the counterpart and the sector."""
    pairings = pairings_for(user)
    if kind:
        pairings = pairings.filter(kind=kind)
    if campaign:
        pairings = pairings.filter(campaign=campaign)
    if partner:
        pairings = pairings.filter(partner=partner)
    if region_code:
        check_code_shape(region_code, field="region")
        pairings = pairings.filter(RegionScope.of([region_code]).q("west__code"))
    if year is not None:
        pairings = pairings.filter(overlapping(year))
    if q:
        pairings = pairings.filter(
            Q(partner__name__contains=q) | Q(counterpart__contains=q) | Q(sector__contains=q)
        )
    return pairings.order_by("west__code", "partner__name", "start_date", "pk")


# ---------------------------------------------------------------------------- partners


@dataclass(frozen=True)
class PartnerIn:
    name: str
    kind: str
    region: Region
    credit_code: str = ""
    contact_name: str = ""
    contact_phone: str = ""
    note: str = ""


def _partner_values(data: PartnerIn, capture: RegionScope) -> dict[str, Any]:
    if data.kind not in PartnerKind.values:
        raise invalid(_("Choose the partner's kind from the list."), "kind")
    if not capture.covers(data.region.code):
        raise _denied(
            _("You may register partners only in regions of your capture scope ({code}).").format(
                code=data.region.code
            )
        )
    return {
        "name": clean_text(data.name, "name", 200, required=True),
        "kind": data.kind,
        "region": data.region,
        "credit_code": check_credit_code(clean_text(data.credit_code, "credit_code", 18)),
        "contact_name": clean_text(data.contact_name, "contact_name", 100),
        "contact_phone": clean_text(data.contact_phone, "contact_phone", 40),
        "note": clean_text(data.note, "note", 300),
    }


def _unique_partner(name: str, region: Region, exclude: int | None) -> None:
    if Partner.objects.filter(name=name, region=region).exclude(pk=exclude or 0).exists():
        raise invalid(
            _("A partner named “{name}” is already registered in {region}.").format(
                name=name, region=region.name_zh
            ),
            "name",
        )


@transaction.atomic
def partner_create(*, actor: Any, data: PartnerIn, capture: RegionScope | None = None) -> Partner:
    values = _partner_values(data, _capture(actor, capture))
    _unique_partner(values["name"], values["region"], None)
    partner = Partner(**values)
    save_with_history(actor=actor, obj=partner, before=None, reason=gettext_noop("partner added"))
    return partner


@transaction.atomic
def partner_update(
    *,
    actor: Any,
    partner: Partner,
    data: PartnerIn,
    reason: str = "",
    capture: RegionScope | None = None,
) -> Partner:
    scope = _capture(actor, capture)
    partner = (
        Partner.objects.select_for_update(of=("self",)).select_related("region").get(pk=partner.pk)
    )
    if not scope.covers(partner.region.code):
        raise _denied(_("This partner is registered outside your capture scope."))
    values = _partner_values(data, scope)
    _unique_partner(values["name"], values["region"], partner.pk)
    if values["kind"] != partner.kind:
        needing = [k for k, need in KIND_NEEDS.items() if need == partner.kind]
        if partner.pairings.filter(kind__in=needing).exists():
            raise invalid(
                _(
                    "The partner's pairings need it to be a {kind}; change or end them first."
                ).format(kind=partner.get_kind_display()),
                "kind",
            )
    before = snapshot(partner)
    for name, value in values.items():
        setattr(partner, name, value)
    save_with_history(actor=actor, obj=partner, before=before, reason=reason.strip()[:500])
    return partner


# ---------------------------------------------------------------------------- campaigns


@dataclass(frozen=True)
class CampaignIn:
    code: str
    name: str
    district: Region
    start_year: int | str  # text from a form is checked here too
    end_year: int | str | None = None
    target_helpers: int | str = 0
    target_households: int | str = 0
    target_enterprises: int | str = 0
    target_villages: int | str = 0
    target_sectors: int | str = 0
    note: str = ""


TARGET_FIELDS = (
    "target_helpers",
    "target_households",
    "target_enterprises",
    "target_villages",
    "target_sectors",
)


def _campaign_values(data: CampaignIn, capture: RegionScope) -> dict[str, Any]:
    code = clean_text(data.code, "code", 40, required=True)
    if not all(c.isascii() and (c.isalnum() or c in "-_") for c in code):
        raise invalid(_("A code of letters, digits, “-” and “_” only."), "code")
    if data.district.level > Level.COUNTY:
        raise invalid(
            _("A campaign belongs to a district or county (or above), not a {level}.").format(
                level=level_label(data.district.level)
            ),
            "district",
        )
    if not capture.covers(data.district.code):
        raise _denied(_("You may run campaigns only for regions of your capture scope."))
    start = clean_year(data.start_year, "start_year", required=True)
    end = clean_year(data.end_year, "end_year", required=False)
    if end is not None and start is not None and end < start:
        raise invalid(
            _("The end year {end} is before the start year {start}.").format(end=end, start=start),
            "end_year",
        )
    values: dict[str, Any] = {
        "code": code,
        "name": clean_text(data.name, "name", 200, required=True),
        "district": data.district,
        "start_year": start,
        "end_year": end,
        "note": clean_text(data.note, "note", 300),
    }
    for name in TARGET_FIELDS:
        values[name] = clean_count(getattr(data, name), name)
    return values


def _unique_campaign(code: str, exclude: int | None) -> None:
    if Campaign.objects.filter(code=code).exclude(pk=exclude or 0).exists():
        raise invalid(_("The code {code} is already in use.").format(code=code), "code")


@transaction.atomic
def campaign_create(
    *, actor: Any, data: CampaignIn, capture: RegionScope | None = None
) -> Campaign:
    values = _campaign_values(data, _capture(actor, capture))
    _unique_campaign(values["code"], None)
    campaign = Campaign(**values)
    save_with_history(
        actor=actor, obj=campaign, before=None, reason=gettext_noop("campaign started")
    )
    return campaign


@transaction.atomic
def campaign_update(
    *,
    actor: Any,
    campaign: Campaign,
    data: CampaignIn,
    reason: str = "",
    capture: RegionScope | None = None,
) -> Campaign:
    scope = _capture(actor, capture)
    campaign = (
        Campaign.objects.select_for_update(of=("self",))
        .select_related("district")
        .get(pk=campaign.pk)
    )
    if not scope.covers(campaign.district.code):
        raise _denied(_("This campaign belongs to a district outside your capture scope."))
    values = _campaign_values(data, scope)
    _unique_campaign(values["code"], campaign.pk)
    before = snapshot(campaign)
    for name, value in values.items():
        setattr(campaign, name, value)
    save_with_history(actor=actor, obj=campaign, before=before, reason=reason.strip()[:500])
    return campaign


# ---------------------------------------------------------------------------- social pairings


@dataclass(frozen=True)
class SocialPairingIn:
    kind: str
    partner: Partner
    west: Region
    start_date: dt.date
    end_date: dt.date | None = None
    counterpart: str = ""
    regional_pairing: Pairing | None = None
    campaign: Campaign | None = None
    sector: str = ""
    committed_money: Decimal | str | int = Decimal(0)
    committed_goods: str = ""
    committed_goods_value: Decimal | str | int = Decimal(0)
    committed_jobs: int | str = 0
    committed_purchases: Decimal | str | int = Decimal(0)
    note: str = ""


def may_change_pairing(scope: RegionScope, pairing: SocialPairing | SocialPairingIn) -> bool:
    """The capture rule of ``selectors.pairings_for``: any of the three regions in scope."""
    codes = [pairing.west.code, pairing.partner.region.code]
    if pairing.campaign is not None:
        codes.append(pairing.campaign.district.code)
    return any(scope.covers(code) for code in codes)


def _check_kind(data: SocialPairingIn) -> str:
    if data.kind not in SocialPairingKind.values:
        raise invalid(_("Choose the kind of pairing from the list."), "kind")
    need = KIND_NEEDS[data.kind]
    if need is not None and data.partner.kind != need:
        raise invalid(
            _(
                "A pairing of kind “{kind}” needs a partner of kind “{need}”; {partner} is “{is_}”."
            ).format(
                kind=SocialPairingKind(data.kind).label,
                need=PartnerKind(need).label,
                partner=data.partner.name,
                is_=data.partner.get_kind_display(),
            ),
            "kind",
        )
    return data.kind


def _check_west(data: SocialPairingIn) -> Region:
    west = data.west
    if not west.is_west:
        raise invalid(
            _("{name} ({code}) is not a western (assisted) region.").format(
                name=west.name_zh, code=west.code
            ),
            "west",
        )
    if data.kind in VILLAGE_KINDS and west.level not in (Level.VILLAGE, Level.NATURAL_VILLAGE):
        raise invalid(
            _("A pairing with a village needs a village, not a {level} ({name}).").format(
                level=level_label(west.level), name=west.name_zh
            ),
            "west",
        )
    return west


def _check_regional_pairing(data: SocialPairingIn, start: dt.date) -> None:
    rp = data.regional_pairing
    if rp is None:
        return
    east_sides = [data.partner.region.code]
    if data.campaign is not None:
        east_sides.append(data.campaign.district.code)
    if not any(within(code, rp.east.code) for code in east_sides):
        raise invalid(
            _(
                "The district pairing {pairing} does not cover the partner's home region "
                "(or the campaign's district)."
            ).format(pairing=str(rp)),
            "regional_pairing",
        )
    if not within(data.west.code, rp.west.code):
        raise invalid(
            _("The district pairing {pairing} does not cover {west}.").format(
                pairing=str(rp), west=data.west.name_zh
            ),
            "regional_pairing",
        )
    last = data.end_date.year if data.end_date is not None else MAX_YEAR
    if rp.start_year > last or (rp.end_year is not None and rp.end_year < start.year):
        raise invalid(
            _("The district pairing {pairing} was not in force during these dates.").format(
                pairing=str(rp)
            ),
            "regional_pairing",
        )


def _pairing_values(data: SocialPairingIn) -> dict[str, Any]:
    kind = _check_kind(data)
    west = _check_west(data)
    start = check_dates(data.start_date, data.end_date)
    counterpart = clean_text(data.counterpart, "counterpart", 200)
    if kind in COUNTERPART_KINDS and not counterpart:
        raise invalid(
            _("Name the western school or hospital paired (the counterpart)."), "counterpart"
        )
    _check_regional_pairing(data, start)
    values: dict[str, Any] = {
        "kind": kind,
        "partner": data.partner,
        "west": west,
        "counterpart": counterpart,
        "regional_pairing": data.regional_pairing,
        "campaign": data.campaign,
        "sector": clean_text(data.sector, "sector", 100),
        "start_date": start,
        "end_date": data.end_date,
        "committed_goods": clean_text(data.committed_goods, "committed_goods", 300),
        "committed_jobs": clean_count(data.committed_jobs, "committed_jobs"),
        "note": clean_text(data.note, "note", 300),
    }
    for name in MONEY_FIELDS:
        values[name] = clean_money(getattr(data, name), name)
    return values


@transaction.atomic
def social_pairing_create(
    *, actor: Any, data: SocialPairingIn, capture: RegionScope | None = None
) -> SocialPairing:
    scope = _capture(actor, capture)
    values = _pairing_values(data)
    if not may_change_pairing(scope, data):
        raise _denied(
            _(
                "You may record pairings only when the western region, the partner's home "
                "region or the campaign's district is in your capture scope."
            )
        )
    pairing = SocialPairing(**values)
    save_with_history(
        actor=actor, obj=pairing, before=None, reason=gettext_noop("social pairing recorded")
    )
    return pairing


@transaction.atomic
def social_pairing_update(
    *,
    actor: Any,
    pairing: SocialPairing,
    data: SocialPairingIn,
    reason: str = "",
    capture: RegionScope | None = None,
) -> SocialPairing:
    scope = _capture(actor, capture)
    pairing = (
        SocialPairing.objects.select_for_update(of=("self",))
        .select_related("partner__region", "west", "campaign__district")
        .get(pk=pairing.pk)
    )
    if not may_change_pairing(scope, pairing):
        raise _denied(_("This pairing is outside your capture scope."))
    values = _pairing_values(data)
    if not may_change_pairing(scope, data):
        raise _denied(_("The changed pairing would lie outside your capture scope."))
    before = snapshot(pairing)
    for name, value in values.items():
        setattr(pairing, name, value)
    save_with_history(actor=actor, obj=pairing, before=before, reason=reason.strip()[:500])
    return pairing
