"""Builds the demo database: deterministic, idempotent (a second run changes nothing)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from bangfu.accounts.models import Role
from bangfu.accounts.services import user_upsert
from bangfu.assistance.demo import AssistanceDemo, assistance_demo_load
from bangfu.core.errors import BangfuError, ErrorCode
from bangfu.projects.demo import ProjectsDemo, projects_demo_load
from bangfu.regions.reference import (
    LoadResult,
    load_pairings,
    load_regions,
    reference_pairings,
    reference_regions,
)
from bangfu.registry.demo import DemoLoad, demo_households_load

# Demo mode only: build_demo() refuses to run under production settings.
DEMO_PASSWORD = "bangfu-demo"


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: Role
    display_name: str
    capture: tuple[str, ...] = ()
    view: tuple[str, ...] = ()


DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser("admin", Role.ADMIN, "系统管理员 Administrator"),
    DemoUser("auditor", Role.AUDITOR, "审计员 Auditor"),
    DemoUser("songjiang-office", Role.EAST_OFFICE, "松江区合作交流办", capture=("310117000000",)),
    DemoUser("qingpu-office", Role.EAST_OFFICE, "青浦区合作交流办", capture=("310118000000",)),
    DemoUser("menghai-county", Role.COUNTY, "勐海县乡村振兴局", capture=("532822000000",)),
    DemoUser("menga-township", Role.TOWNSHIP, "勐阿镇人民政府", capture=("532822106000",)),
    DemoUser("nabing-village", Role.VILLAGE, "纳丙村村委会", capture=("532822106207",)),
    DemoUser("mangshi-county", Role.COUNTY, "芒市乡村振兴局", capture=("533103000000",)),
)


@dataclass
class DemoReport:
    seed: int
    regions: LoadResult
    pairings: LoadResult
    users_created: int = 0
    users: list[DemoUser] = field(default_factory=list)
    households: DemoLoad | None = None
    assistance: AssistanceDemo | None = None
    projects: ProjectsDemo | None = None


def require_demo_allowed() -> None:
    if not getattr(settings, "BANGFU_DEMO_ALLOWED", False):
        raise BangfuError(
            ErrorCode.DEMO_REFUSED,
            _("The demo (users with a shared password) is refused under production settings."),
        )


def build_demo(
    *,
    seed: int = 2020,
    households: int = 0,
    progress: Callable[[int, int], None] | None = None,
    assistance: bool = False,
) -> DemoReport:
    """Load reference regions and pairings and the demo users (fixed reference data), then
    make the registry hold ``households`` generated households of this seed (see
    ``bangfu.registry.demo``: deterministic, and idempotent — households already loaded are
    kept, only missing ones are added). ``households=0`` loads no households. With
    ``assistance``, add the seed's social pairing and secondments (``bangfu.assistance.demo``:
    Fengxian's campaign, Qingpu's secondments; idempotent too) and the projects, the fund
    ledger and the cooperatives (``bangfu.projects.demo``: 纳丙村's tea refinery, Songjiang's
    seed supply, Dingri's 564 cooperatives; written once, refused the second time). ``bangfu
    demo`` asks for it; the test session's database leaves it out."""
    report = _build_reference(seed)
    if households:
        report.households = demo_households_load(
            seed=seed, households=households, progress=progress
        )
    if assistance:
        report.assistance = assistance_demo_load()
        report.projects = projects_demo_load()
    return report


@transaction.atomic
def _build_reference(seed: int) -> DemoReport:
    require_demo_allowed()
    regions = load_regions(actor=None, regions=reference_regions())
    pairings = load_pairings(actor=None, pairings=reference_pairings())
    report = DemoReport(seed=seed, regions=regions, pairings=pairings, users=list(DEMO_USERS))
    for demo in DEMO_USERS:
        _, created = user_upsert(
            actor=None,
            username=demo.username,
            role=demo.role,
            display_name=demo.display_name,
            capture_codes=list(demo.capture),
            view_codes=list(demo.view),
            password=DEMO_PASSWORD,
        )
        report.users_created += int(created)
    return report
