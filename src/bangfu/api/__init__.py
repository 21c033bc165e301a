"""The HTTP API: django-ninja under /api/v1/, OpenAPI at /api/docs.

Errors are RFC 9457 problem+json with a stable ``code`` member (see bangfu.core.errors).
Apps above accounts add their own ``api.py`` routers here; regions and pairings sit below
accounts (which owns the scoping function), so their endpoints live in ``bangfu.api.regions``.
"""

from __future__ import annotations

from ninja import NinjaAPI

from bangfu.api.auth import BearerAuth
from bangfu.api.auth import router as auth_router
from bangfu.api.problems import install_problem_handlers
from bangfu.api.regions import pairings_router, regions_router
from bangfu.assistance.api import assistance_router
from bangfu.monitoring.api import monitoring_router
from bangfu.projects.api import router as projects_router
from bangfu.registry.api import households_router

api = NinjaAPI(
    title="Bangfu API",
    version="1",
    description="Registry, regions and pairings of East–West paired assistance. "
    "Authenticate with POST /api/v1/auth/token, then send `Authorization: Bearer <token>`. "
    "Errors are application/problem+json (RFC 9457) with a stable `code`.",
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
    auth=BearerAuth(),
)
install_problem_handlers(api)
api.add_router("/v1/auth", auth_router)
api.add_router("/v1/regions", regions_router)
api.add_router("/v1/pairings", pairings_router)
api.add_router("/v1/households", households_router)
api.add_router("/v1/monitoring", monitoring_router)
api.add_router("/v1/assistance", assistance_router)
api.add_router("/v1/projects", projects_router)
