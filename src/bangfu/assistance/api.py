"""Assistance endpoints, mounted at /api/v1/assistance by ``bangfu.api``; each area keeps its
own router beside its services."""

from __future__ import annotations

from ninja import Router

from bangfu.assistance.api_donations import router as donations_router
from bangfu.assistance.api_households import router as households_router
from bangfu.assistance.api_pairings import router as pairings_router

assistance_router = Router(tags=["assistance"])
assistance_router.add_router("", households_router)
assistance_router.add_router("", donations_router)
assistance_router.add_router("", pairings_router)
