"""Projects in Chromium, at desktop and phone sizes: the county's project office opens the
projects from the menu, registers a project, sees its page with the money chart (inline SVG,
no script) and records a milestone, which moves the project's progress."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import expect

if TYPE_CHECKING:
    from .conftest import UI

pytestmark = pytest.mark.browser


def test_a_new_project_shows_its_money_chart_and_takes_a_milestone(ui: UI) -> None:
    page = ui.page
    code = f"browser-{ui.viewport}"
    ui.login("menghai-county")
    ui.nav("projects")
    expect(page.locator("#projects")).to_be_visible()
    page.locator("#add-project").click()
    page.locator("#project-code").fill(code)
    page.locator("#project-name").fill("勐海县茶叶初制所提质改造")
    page.locator("#project-region").fill("532822000000")
    page.locator("#project-year").fill("2025")
    page.locator("#project-save").click()

    expect(page.locator("h1")).to_contain_text("勐海县茶叶初制所提质改造")
    chart = page.locator("svg#sankey")
    expect(chart).to_be_visible()
    expect(page.locator("#reconciliation")).to_be_visible()
    ui.shot("1-project")

    form = page.locator("#milestone-form")
    form.scroll_into_view_if_needed()
    page.locator("#milestone-name").fill("厂房改造完工")
    page.locator("#milestone-planned").fill("2025-09-30")
    page.locator("#milestone-progress").fill("60")
    page.locator("#milestone-save").click()

    expect(page.locator("#milestone-table")).to_contain_text("厂房改造完工")
    expect(page.locator("#project-progress")).to_have_text("60 %")
    fits = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    assert fits, "the project page is wider than the screen"
    ui.shot("2-milestone")
    assert not ui.errors
    assert not ui.failed


def test_the_demo_tea_refinery_shows_where_its_money_went(ui: UI) -> None:
    """The demo's 纳丙村 tea refinery: its chart has bands from three fund sources to the builder,
    the supplier, the households and what is still held, and reconciles to 0.00; a household it
    paid shows the wages in its income record with the project as their origin."""
    page = ui.page
    ui.login("menghai-county")
    ui.nav("projects")
    page.locator("#projects tr[data-project=nabing-tea-refinery-2020] a").first.click()
    chart = page.locator("svg#sankey")
    expect(chart).to_be_visible()
    assert page.locator("svg#sankey path.link").count() >= 6
    expect(page.locator("#reconciliation")).to_contain_text("0.00")
    assert page.locator("#reconciliation tr.warn").count() == 0
    ui.shot("1-tea-refinery")
    page.locator("#benefit-table a[href*='/households/']").first.click()
    expect(page.locator("[data-linked]").first).to_be_visible()
    expect(page.locator("[data-linked]").first).to_contain_text("纳丙村茶叶精制厂")
    ui.shot("2-household-income")
    assert not ui.errors
    assert not ui.failed


def test_a_dingri_cooperative_shows_its_members_dividends_and_fits_the_screen(ui: UI) -> None:
    page = ui.page
    ui.login("admin")
    ui.goto("projects/cooperatives/?with_income=2020")
    page.locator("#cooperatives a[href*='/projects/cooperatives/']").first.click()
    expect(page.locator("#member-table tbody tr").first).to_be_visible()
    expect(page.locator("#dividend-table")).to_contain_text("2020")
    fits = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    assert fits, "the cooperative page is wider than the screen"
    ui.shot("1-cooperative")
    assert not ui.errors
    assert not ui.failed
