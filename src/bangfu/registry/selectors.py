"""Every read of the registry, scoped to the user by ``bangfu.accounts.scopes``."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Left
from django.utils.translation import gettext as _

from bangfu.accounts.scopes import can_see_personal_data, scope_for
from bangfu.audit.models import AccessKind
from bangfu.audit.services import access_record
from bangfu.core.errors import BangfuError, ErrorCode, not_found
from bangfu.core.protect import decrypt_text, lookup_hash
from bangfu.regions.codes import prefix_bounds, significant_prefix
from bangfu.regions.scope import RegionScope
from bangfu.registry.idnumber import parse_id_number
from bangfu.registry.models import Household, LivingConditions, Member, ProductionAssets

COMMON_NAME = 2_000  # members whose names start so: beyond, test households one by one


@dataclass(frozen=True)
class HouseholdFilter:
    region: str | None = None
    status: str | None = None
    household_type: str | None = None
    cause: str | None = None
    income_below: Decimal | None = None
    income_at_least: Decimal | None = None
    guarantee_problems: bool | None = None
    q: str | None = None


def household_list(*, user: Any, filters: HouseholdFilter | None = None) -> QuerySet[Household]:
    """Households the user may see, filtered. Searching by an exact ID number goes through the
    keyed hash: the number itself is never compared in clear."""
    f = filters or HouseholdFilter()
    scope = scope_for(user, "view")
    qs = Household.objects.filter(scope.q("village__code")).select_related("village")
    if f.region:
        qs = qs.filter(village__code__range=prefix_bounds(significant_prefix(f.region)))
    if f.status:
        qs = qs.filter(status=f.status)
    if f.household_type:
        qs = qs.filter(household_type=f.household_type)
    if f.cause:
        qs = qs.filter(main_cause=f.cause)  # the main cause: the one the national statistics count
    if f.income_below is not None:
        qs = qs.filter(latest_net_income_pc__lt=f.income_below)
    if f.income_at_least is not None:
        qs = qs.filter(latest_net_income_pc__gte=f.income_at_least)
    if f.guarantee_problems is not None:
        qs = (
            qs.filter(open_guarantee_problems__gt=0)
            if f.guarantee_problems
            else qs.filter(open_guarantee_problems=0)
        )
    if f.q:
        qs = qs.filter(_search(f.q.strip()))
    # Within a region (a scope or a filter): region code, then number, the order the subtree
    # scan and the (village, number) index already deliver, so nothing is sorted. Everything:
    # the unique number's own index. (Numbers start with the village code: the orders agree.)
    if scope.unrestricted and not f.region:
        return qs.order_by("household_no")
    return qs.order_by("village__code", "household_no")


def _search(text: str) -> Q:
    """A household number or a member's name starting with ``text``, or an exact ID number
    (through the keyed hash). Each is a search on an index that returns few households (the
    members' name index, the hash index, the number's unique index), not a test run on every
    household in scope."""
    try:
        number = parse_id_number(text).number
    except BangfuError:
        number = None
    if number is not None:
        holders = Member.objects.filter(id_number_hash=lookup_hash(number))
        return Q(pk__in=holders.values("household_id"))
    return _starts_with("household_no", text) | _named(text)


def _named(text: str) -> Q:
    """Households with a member whose name starts with ``text``. A name few people carry is
    looked up in the members' name index and its households fetched by key; a common start
    (岩, 玉: half the Dai men and women) would make that list hundreds of thousands long, so
    then each household in list order is tested through its members instead, and the page
    fills within its first hundred households. One small query decides which."""
    named = Member.objects.filter(_starts_with("name", text))
    if named.order_by()[:COMMON_NAME].count() < COMMON_NAME:
        return Q(pk__in=named.values("household_id"))
    # compared through a function, so that the database probes each household's few members
    # by household, not the name index's long range for every household
    members = Member.objects.annotate(start=Left("name", len(text)))
    return Q(Exists(members.filter(household=OuterRef("pk"), start=text)))


def _starts_with(field: str, text: str) -> Q:
    """``field`` starts with ``text``. On SQLite as a range, which its index can search (its
    ``LIKE`` is case-insensitive, so the BINARY-collated index cannot serve it); the range
    holds in code-point order, SQLite's. Elsewhere ``LIKE 'text%'`` (collations other than
    code-point order would break the range)."""
    if connection.vendor == "sqlite":
        return Q(**{f"{field}__gte": text, f"{field}__lt": text + "\U0010ffff"})
    return Q(**{f"{field}__startswith": text})


def capture_for(*, user: Any, household: Household) -> RegionScope:
    """The user's capture scope, when it covers ``household`` (one the user may see, from
    ``household_get``); otherwise PERMISSION_DENIED. Pages and the API check writes with it."""
    capture = scope_for(user, "capture")
    if not capture.covers(household.village.code):
        raise BangfuError(ErrorCode.PERMISSION_DENIED, _("Not in your capture scope."))
    return capture


def household_get(*, user: Any, pk: int) -> Household:
    household = household_list(user=user).filter(pk=pk).first()
    if household is None:
        raise not_found(ErrorCode.HOUSEHOLD_NOT_FOUND, _("household"))
    return household


def household_conditions(
    *, household: Household
) -> tuple[ProductionAssets | None, LivingConditions | None]:
    """A household's production assets and living conditions (None while not recorded), in one
    query. ``household`` comes from a scoped selector (``household_get``): that call decided
    whether the user may see it."""
    found = (
        Household.objects.filter(pk=household.pk)
        .select_related("production", "living")
        .only("pk", "production", "living")
        .order_by()
        .first()
    )
    # A missing one-to-one row reads as None (its DoesNotExist is also an AttributeError).
    return getattr(found, "production", None), getattr(found, "living", None)


def household_get_by_no(*, user: Any, household_no: str) -> Household:
    household = household_list(user=user).filter(household_no=household_no).first()
    if household is None:
        raise not_found(ErrorCode.HOUSEHOLD_NOT_FOUND, _("household"))
    return household


def households_by_no(*, user: Any, numbers: Iterable[str]) -> dict[str, Household]:
    """The households with these numbers that the user may see, by number (with their
    village): a list's rows (a payment, a file) looked up in one query."""
    wanted = {str(n).strip() for n in numbers}
    found = household_list(user=user).filter(household_no__in=wanted).select_related("village")
    return {h.household_no: h for h in found}


def member_reveal_id_numbers(
    *, user: Any, household: Household, purpose: str = ""
) -> dict[int, str]:
    """The members' ID numbers in clear (member id → number), for users allowed to see them;
    every call is written to the access log."""
    if not can_see_personal_data(user, household.village.code):
        raise BangfuError(
            ErrorCode.PERMISSION_DENIED, _("Your role may see masked ID numbers only.")
        )
    members = list(household.members.all())
    access_record(
        actor=user,
        kind=AccessKind.VIEW,
        model=Member,
        object_ids=[m.pk for m in members],
        fields=["id_number"],
        purpose=purpose,
    )
    return {m.pk: decrypt_text(m.id_number_enc) for m in members}
