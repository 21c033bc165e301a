"""Cooperatives (农牧民合作社): members, share capital, yearly profit, dividends and awards.

* ``cooperative_create`` opens the cooperative's two ledger accounts: its own (receives funds
  turned into shares and awards) and its members' (dividends paid to households).
* ``funds_to_shares`` (资金变股金): a project pays assistance funds to the cooperative through
  the ledger, and the money is quantified to member households as shares — the households'
  capital adds up to the payment exactly.
* ``year_declare`` records the year's revenue and profit and the dividend rules: the payout
  ratio (by default last year's: it may rise, year by year) and the minimum for registered-poor
  members.
* ``dividends_pay``: the engine splits the distributable profit (``engine.dividends``: pro rata
  to shares, the minimum for registered-poor members by water-filling, the largest-remainder
  method — no fen lost or made) and the ledger pays it: the profit comes in as a source
  (funding), the dividend goes to the members' account, split into benefits that are the
  households' property income for the year.
* ``awards_grant`` (以奖代补): every cooperative of the scheme's region meeting its criterion
  gets the award once, paid from the scheme's project account.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils.text import slugify
from django.utils.translation import gettext as _

from bangfu.accounts.scopes import scope_for
from bangfu.audit.services import save_with_history, snapshot
from bangfu.core.errors import BangfuError, ErrorCode, invalid
from bangfu.core.money import parse_figure, yuan_required
from bangfu.engine import dividends as engine
from bangfu.projects import ledger
from bangfu.projects.benefits import BenefitIn, benefits_create
from bangfu.projects.models import (
    Account,
    AccountKind,
    Award,
    AwardCriterion,
    AwardScheme,
    Cooperative,
    CooperativeModel,
    CooperativeYear,
    Entry,
    EntryKind,
    FundSource,
    Mechanism,
    Membership,
    Posting,
    Project,
    ShareCapital,
    ShareKind,
)
from bangfu.projects.selectors import REGISTERED_POOR_STATUSES, may_change_cooperative
from bangfu.projects.services import (
    check_year,
    external_account,
    fen,
    project_account,
    record_action,
    require_project,
)
from bangfu.regions.codes import Level
from bangfu.regions.models import Region
from bangfu.regions.scope import RegionScope
from bangfu.registry.models import Household


def _require(actor: Any, cooperative: Cooperative) -> None:
    if not may_change_cooperative(actor, cooperative):
        raise BangfuError(
            ErrorCode.PERMISSION_DENIED, _("Only staff of the cooperative's village may do this.")
        )


@transaction.atomic
def cooperative_create(
    *,
    actor: Any,
    code: str,
    name: str,
    village: Region,
    model: str,
    founded_on: dt.date,
    company: str = "",
    leader: str = "",
) -> Cooperative:
    if village.level != Level.VILLAGE:
        raise invalid(_("A cooperative belongs to a village."), "village")
    if model not in CooperativeModel.values:
        raise invalid(_("{value!r} is not a cooperative model.").format(value=model), "model")
    if not code.strip() or Cooperative.objects.filter(code=code.strip()).exists():
        raise invalid(_("Give a code not yet used."), "code")
    if len(code.strip()) > 40 or slugify(code.strip()) != code.strip().lower():
        raise invalid(_("A code has at most 40 letters, digits, - and _."), "code")
    if not name.strip():
        raise invalid(_("This is required."), "name")
    code = code.strip()
    cooperative = Cooperative(
        code=code,
        name=name.strip()[:200],
        village=village,
        model=model,
        founded_on=founded_on,
        company=company.strip()[:200],
        leader=leader.strip()[:100],
    )
    _require(actor, cooperative)
    cooperative.account = Account.objects.create(
        code=f"coop-{code}", name=cooperative.name, kind=AccountKind.PAYEE
    )
    cooperative.members_account = Account.objects.create(
        code=f"coop-{code}-members", name=f"{cooperative.name} · members", kind=AccountKind.PAYEE
    )
    save_with_history(actor=actor, obj=cooperative, before=None)
    return cooperative


@transaction.atomic
def member_join(
    *, actor: Any, cooperative: Cooperative, household: Household, joined_on: dt.date
) -> Membership:
    _require(actor, cooperative)
    if not scope_for(actor, "capture").covers(household.village.code):
        raise BangfuError(
            ErrorCode.PERMISSION_DENIED,
            _("Household {number} is outside your capture scope.").format(
                number=household.household_no
            ),
            field="household",
        )
    if joined_on < cooperative.founded_on:
        raise invalid(_("A member joins after the cooperative was founded."), "joined_on")
    if cooperative.memberships.filter(household=household, left_on__isnull=True).exists():
        raise invalid(
            _("Household {number} is a member already.").format(number=household.household_no),
            "household",
        )
    membership = Membership(cooperative=cooperative, household=household, joined_on=joined_on)
    with _recorded_meanwhile(
        _("Household {number} was made a member at the same moment.").format(
            number=household.household_no
        ),
        "household",
    ):
        save_with_history(actor=actor, obj=membership, before=None)
    return membership


@contextmanager
def _recorded_meanwhile(message: str, field: str) -> Iterator[None]:
    """The database's unique index refused a row another request wrote a moment ago (after
    this one checked): a refusal naming the field, not a server error."""
    try:
        with transaction.atomic():
            yield
    except IntegrityError:
        raise invalid(message, field) from None


@transaction.atomic
def member_leave(*, actor: Any, membership: Membership, left_on: dt.date) -> Membership:
    _require(actor, membership.cooperative)
    if membership.left_on is not None:
        raise invalid(_("The household has left already."), "left_on")
    if left_on < membership.joined_on:
        raise invalid(_("A member leaves after joining."), "left_on")
    before = snapshot(membership)
    membership.left_on = left_on
    save_with_history(actor=actor, obj=membership, before=before)
    return membership


def _member(cooperative: Cooperative, household: Household, row: int) -> None:
    if not cooperative.memberships.filter(household=household, left_on__isnull=True).exists():
        raise invalid(
            _("Row {row}: household {number} is not a member.").format(
                row=row, number=household.household_no
            ),
            "household",
        )


def _shares(value: Any, row: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise invalid(_("Row {row}: shares are a whole number above 0.").format(row=row), "shares")
    return value


@transaction.atomic
def shares_add(
    *,
    actor: Any,
    cooperative: Cooperative,
    household: Household,
    kind: str,
    amount: Any,
    shares: int,
    recorded_on: dt.date,
    note: str = "",
) -> ShareCapital:
    """Capital a member paid in (cash, land, assets); funds go through ``funds_to_shares``."""
    _require(actor, cooperative)
    if kind not in ShareKind.values or kind == ShareKind.FUNDS:
        raise invalid(_("Funds become shares through a payment (资金变股金)."), "kind")
    _member(cooperative, household, 1)
    capital = ShareCapital(
        cooperative=cooperative,
        household=household,
        kind=kind,
        amount=yuan_required(amount, field="amount"),
        shares=_shares(shares, 1),
        recorded_on=recorded_on,
        note=note.strip()[:300],
    )
    save_with_history(actor=actor, obj=capital, before=None)
    return capital


@dataclass(frozen=True)
class ShareIn:
    household: Household
    amount: Any
    shares: int


@transaction.atomic
def funds_to_shares(
    *,
    actor: Any,
    cooperative: Cooperative,
    project: Project,
    source: Account,
    rows: list[ShareIn],
    entry_date: dt.date,
    voucher: str,
    idempotency_key: str,
) -> Entry:
    """资金变股金: the project pays the cooperative; the money becomes members' shares."""
    require_project(actor, project)
    _require(actor, cooperative)
    if not rows:
        raise invalid(_("Name the member households the shares are quantified to."), "household")
    amounts = []
    for number, row in enumerate(rows, start=1):
        _member(cooperative, row.household, number)
        amounts.append((row, fen(row.amount), _shares(row.shares, number)))
    detail = repr(sorted((r.household.pk, a, s) for r, a, s in amounts))
    entry = ledger.ledger_post(
        actor=actor,
        kind=EntryKind.PAYMENT,
        entry_date=entry_date,
        voucher=voucher,
        idempotency_key=idempotency_key,
        moves=[
            ledger.Move(
                project_account(project),
                cooperative.account,
                source,
                sum(a for _r, a, _s in amounts),
            )
        ],
        memo=_("funds turned into shares of {name}").format(name=cooperative.name),
        detail=detail,
    )
    if entry.share_capital.exists():  # submitted again
        return entry
    ShareCapital.objects.bulk_create(
        ShareCapital(
            cooperative=cooperative,
            household=row.household,
            kind=ShareKind.FUNDS,
            amount=Decimal(amount) / 100,
            shares=shares,
            recorded_on=entry_date,
            entry=entry,
        )
        for row, amount, shares in amounts
    )
    record_action(
        actor, cooperative, _("funds turned into shares ({voucher})").format(voucher=voucher)
    )
    return entry


def _ratio(value: Any) -> Decimal:
    try:
        ratio = Decimal(str(value).strip().rstrip("%")) / (
            100 if str(value).strip().endswith("%") else 1
        )
    except ArithmeticError:
        raise invalid(_("{value!r} is not a ratio.").format(value=value), "payout_ratio") from None
    if not ratio.is_finite() or not 0 <= ratio <= 1 or ratio != ratio.quantize(Decimal("0.0001")):
        raise invalid(
            _("A payout ratio is from 0 to 1 (or 0 % to 100 %), at most four decimals."),
            "payout_ratio",
        )
    return ratio


@transaction.atomic
def year_declare(
    *,
    actor: Any,
    cooperative: Cooperative,
    year: int,
    revenue: Any,
    profit: Any,
    payout_ratio: Any = None,
    poor_minimum: Any = "0",
) -> CooperativeYear:
    """The year's figures and dividend rules; changeable until its dividends are paid. The
    ratio defaults to the previous year's."""
    _require(actor, cooperative)
    year = check_year(year)
    found = cooperative.years.filter(year=year).first()
    if found is not None and found.dividend_entry_id:
        raise BangfuError(
            ErrorCode.DIVIDENDS_INVALID,
            _("The dividends of {year} are paid: the year is closed.").format(year=year),
            field="year",
        )
    if payout_ratio in (None, ""):
        previous = cooperative.years.filter(year__lt=year).order_by("-year").first()
        if previous is None:
            raise invalid(
                _("Give the payout ratio (there is no earlier year to follow)."), "payout_ratio"
            )
        payout_ratio = previous.payout_ratio
    profit_yuan = yuan_required(profit, field="profit", signed=True)
    before = snapshot(found) if found else None
    row = found or CooperativeYear(cooperative=cooperative, year=year)
    row.revenue = yuan_required(revenue, field="revenue")
    row.profit = profit_yuan
    row.payout_ratio = _ratio(payout_ratio)
    row.poor_minimum = yuan_required(poor_minimum, field="poor_minimum")
    with _recorded_meanwhile(
        _("The year {year} was declared at the same moment: open it again.").format(year=year),
        "year",
    ):
        save_with_history(actor=actor, obj=row, before=before)
    return row


def shares_at(cooperative: Cooperative, day: dt.date) -> dict[int, int]:
    """Each household's shares in the cooperative as recorded by ``day``."""
    held = ShareCapital.objects.filter(cooperative=cooperative, recorded_on__lte=day)
    return dict(held.values("household").annotate(n=Sum("shares")).values_list("household", "n"))


def distributable_fen(cooperative_year: CooperativeYear) -> int:
    """What the year's profit gives for dividends at its payout ratio, in fen (0 for a loss)."""
    if cooperative_year.profit <= 0:
        return 0
    profit_fen = int(cooperative_year.profit * 100)
    return engine.distributable(profit_fen, Fraction(cooperative_year.payout_ratio))


def dividend_plan(cooperative_year: CooperativeYear) -> dict[int, int]:
    """Each member household's dividend in fen for the year (not yet paid): the engine's
    split of the distributable profit among the members holding shares at the year's end."""
    total = distributable_fen(cooperative_year)
    if total <= 0:
        return {}
    year_end = dt.date(cooperative_year.year, 12, 31)
    cooperative = cooperative_year.cooperative
    shares = shares_at(cooperative, year_end)
    members = (
        cooperative.memberships.filter(joined_on__lte=year_end)
        .exclude(left_on__lte=year_end)
        .select_related("household")
    )
    people = [
        engine.Member(
            key=m.household_id,
            shares=int(shares[m.household_id]),
            registered_poor=m.household.status in REGISTERED_POOR_STATUSES,
        )
        for m in members
        if shares.get(m.household_id)
    ]
    if not people or total == 0:
        return {}
    try:
        split = engine.allocate(total, people, minimum_fen=int(cooperative_year.poor_minimum * 100))
    except engine.MinimumNotMet as refusal:
        raise BangfuError(ErrorCode.DIVIDENDS_INVALID, str(refusal), field="poor_minimum") from None
    except ValueError as refusal:  # no member left to share what is above the minimums
        raise BangfuError(ErrorCode.DIVIDENDS_INVALID, str(refusal), field="poor_minimum") from None
    return {int(str(key)): amount for key, amount in split.items()}


def profit_source(cooperative_year: CooperativeYear) -> Account:
    cooperative = cooperative_year.cooperative
    account, _created = Account.objects.get_or_create(
        code=f"coop-{cooperative.code}-profit-{cooperative_year.year}",
        defaults={
            "name": f"{cooperative.name} · {cooperative_year.year}",
            "kind": AccountKind.SOURCE,
            "fund_source": FundSource.COOPERATIVE_PROFIT,
            "year": cooperative_year.year,
        },
    )
    return account


@transaction.atomic
def dividends_pay(
    *, actor: Any, cooperative_year: CooperativeYear, entry_date: dt.date, voucher: str
) -> Entry:
    """Pay the year's dividends through the ledger into the members' property income; paid
    once (a repeated call returns the payment)."""
    cooperative = cooperative_year.cooperative
    _require(actor, cooperative)
    locked = CooperativeYear.objects.select_for_update().get(pk=cooperative_year.pk)
    if locked.dividend_entry_id:
        return locked.dividend_entry  # type: ignore[return-value]
    plan = dividend_plan(locked)
    if not plan:
        raise BangfuError(
            ErrorCode.DIVIDENDS_INVALID,
            _("No dividend to pay: no profit, a payout ratio of 0 or no member with shares."),
            field="profit",
        )
    total = sum(plan.values())
    source = profit_source(locked)
    key = f"dividend:{cooperative.code}:{locked.year}"
    ledger.ledger_post(
        actor=actor,
        kind=EntryKind.FUNDING,
        entry_date=entry_date,
        voucher=voucher,
        idempotency_key=f"{key}:profit",
        moves=[ledger.Move(external_account(), source, source, total)],
        memo=_("distributable profit of {year}").format(year=locked.year),
    )
    entry = ledger.ledger_post(
        actor=actor,
        kind=EntryKind.DIVIDEND,
        entry_date=entry_date,
        voucher=voucher,
        idempotency_key=key,
        moves=[ledger.Move(source, cooperative.members_account, source, total)],
        memo=_("dividends of {year}").format(year=locked.year),
    )
    households = Household.objects.filter(pk__in=list(plan)).select_related("village")
    shares = shares_at(cooperative, dt.date(locked.year, 12, 31))  # what the plan split by
    rows = [
        BenefitIn(
            Decimal(plan[h.pk]) / 100,
            household=h,
            village=h.village,
            quantity=shares[h.pk],
            unit="shares",
        )
        for h in households
    ]
    benefits_create(
        actor=actor,
        rows=rows,
        year=locked.year,
        mechanism=Mechanism.DIVIDEND,
        cooperative=cooperative,
        entry=entry,
    )
    locked.dividend_entry = entry
    locked.save(update_fields=["dividend_entry"])
    record_action(actor, cooperative, _("dividends of {year} paid").format(year=locked.year))
    return entry


# ---------------------------------------------------------------------------- 以奖代补 awards


@transaction.atomic
def award_scheme_save(
    *,
    actor: Any,
    code: str,
    name: str,
    year: int,
    criterion: str,
    amount: Any,
    paying_project: Project,
    region: Region,
    threshold: Any = None,
) -> AwardScheme:
    """A 以奖代补 scheme, paid from ``paying_project``'s account, for the cooperatives of
    ``region`` (within the project's region or the project's pairing's western side)."""
    require_project(actor, paying_project)
    if not code.strip() or AwardScheme.objects.filter(code=code.strip()).exists():
        raise invalid(_("Give a code not yet used."), "code")
    if not name.strip():
        raise invalid(_("This is required."), "name")
    if criterion not in AwardCriterion.values:
        raise invalid(_("{value!r} is not a criterion.").format(value=criterion), "criterion")
    needs_threshold = criterion in (
        AwardCriterion.PROFIT_AT_LEAST,
        AwardCriterion.POOR_MEMBERS_AT_LEAST,
    )
    if needs_threshold and threshold in (None, ""):
        raise invalid(_("This criterion needs a threshold."), "threshold")
    if not RegionScope.of([paying_project.region.code]).covers(region.code):
        raise invalid(_("The region is outside the paying project's region."), "region")
    if len(code.strip()) > 40:
        raise invalid(_("At most {n} characters.").format(n=40), "code")
    scheme = AwardScheme(
        code=code.strip(),
        name=name.strip()[:200],
        year=check_year(year),
        criterion=criterion,
        threshold=parse_figure(threshold, field="threshold"),
        amount=yuan_required(amount, field="amount", positive=True),
        paying_account=project_account(paying_project),
        region=region,
    )
    save_with_history(actor=actor, obj=scheme, before=None)
    return scheme


def award_check(scheme: AwardScheme, cooperative: Cooperative) -> tuple[bool, str]:
    """Whether the cooperative meets the scheme's criterion in its year, and why (or not)."""
    years = {y.year: y for y in cooperative.years.all()}
    this = years.get(scheme.year)
    criterion, threshold = scheme.criterion, scheme.threshold or Decimal(0)
    if criterion == AwardCriterion.FIRST_INCOME:
        earlier = [y for y in years.values() if y.year < scheme.year and y.profit > 0]
        ok = this is not None and this.profit > 0 and not earlier
        return ok, _("profit {profit} in {year}, {n} earlier years with profit").format(
            profit=this.profit if this else "—", year=scheme.year, n=len(earlier)
        )
    if criterion == AwardCriterion.PROFIT_AT_LEAST:
        ok = this is not None and this.profit >= threshold
        return ok, _("profit {profit}, threshold {threshold}").format(
            profit=this.profit if this else "—", threshold=threshold
        )
    if criterion == AwardCriterion.POOR_MEMBERS_AT_LEAST:
        poor = cooperative.memberships.filter(
            left_on__isnull=True, household__status__in=REGISTERED_POOR_STATUSES
        ).count()
        return poor >= threshold, _("{n} registered-poor members, threshold {threshold}").format(
            n=poor, threshold=threshold
        )
    paid = this is not None and this.dividend_entry_id is not None
    why = _("dividends of {year} paid") if paid else _("no dividends paid in {year}")
    return paid, why.format(year=scheme.year)


def award_candidates(scheme: AwardScheme) -> list[tuple[Cooperative, bool, str]]:
    scope = RegionScope.of([scheme.region.code])
    cooperatives = Cooperative.objects.filter(scope.q("village__code")).prefetch_related("years")
    return [(c, *award_check(scheme, c)) for c in cooperatives]


@transaction.atomic
def awards_grant(
    *, actor: Any, scheme: AwardScheme, entry_date: dt.date, voucher: str
) -> list[Award]:
    """Pay the award to every cooperative meeting the criterion that has not had it."""
    project = scheme.paying_account.project
    if project is None:
        raise invalid(_("The scheme pays from a project's account."), "paying_account")
    require_project(actor, project)
    awarded = set(scheme.awards.values_list("cooperative", flat=True))
    granted = []
    for cooperative, eligible, why in award_candidates(scheme):
        if not eligible or cooperative.pk in awarded:
            continue
        entry = ledger.ledger_post(
            actor=actor,
            kind=EntryKind.PAYMENT,
            entry_date=entry_date,
            voucher=voucher,
            idempotency_key=f"award:{scheme.code}:{cooperative.code}",
            moves=[
                ledger.Move(
                    scheme.paying_account,
                    cooperative.account,
                    _award_source(scheme),
                    fen(scheme.amount),
                )
            ],
            memo=_("以奖代补 {scheme}").format(scheme=scheme.name),
        )
        if Award.objects.filter(entry=entry).exists():  # granted at the same moment elsewhere
            continue
        granted.append(
            Award.objects.create(
                scheme=scheme,
                cooperative=cooperative,
                amount=scheme.amount,
                entry=entry,
                reason=why[:300],
            )
        )
    return granted


def _award_source(scheme: AwardScheme) -> Account:
    """The fund source the scheme's account holds most of (awards are paid from it)."""
    held = (
        Posting.objects.filter(account=scheme.paying_account)
        .values("source")
        .annotate(n=Sum("amount_fen"))
        .order_by("-n")
        .first()
    )
    if held is None or held["n"] <= 0:
        raise BangfuError(
            ErrorCode.LEDGER_INSUFFICIENT_FUNDS,
            _("{account} holds no money to pay awards from.").format(
                account=scheme.paying_account.code
            ),
            field="paying_account",
        )
    return Account.objects.get(pk=held["source"])
