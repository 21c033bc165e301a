"""Monitoring in Chromium, at desktop and phone sizes: the administrator's button runs the rules
with a live progress display and ends on the run's figures; township staff take an alert from
the worklist through assignment and the home visit to a decision (admission is refused
without the household's consent and gives the reason; the cadre dismisses it instead)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import expect

if TYPE_CHECKING:
    from .conftest import UI

pytestmark = pytest.mark.browser


def fits_the_screen(ui: UI) -> bool:
    return bool(ui.page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"))


def test_the_button_runs_monitoring_and_shows_the_result(ui: UI) -> None:
    page = ui.page
    ui.login("admin")
    ui.nav("monitoring")
    expect(page.locator("#alerts tr[data-alert]").first).to_be_visible()  # the demo's run
    page.locator("#monitoring-nav a[href$='/runs/']").click()
    page.locator("#run-year").fill("2025")
    page.locator("#run-start").click()
    expect(page.locator("#run-status[data-status=done]")).to_be_visible(timeout=60_000)
    expect(page.locator("#run-counties tr[data-county]").first).to_be_visible()
    expect(page.locator("#run-counts [data-count=alert]")).not_to_have_text("0")
    assert fits_the_screen(ui), "the run page is wider than the screen"
    ui.shot("1-run-done")
    assert not ui.errors


def test_an_alert_is_assigned_verified_and_decided(ui: UI) -> None:
    page = ui.page
    # The township's staff: each screen size takes one open alert, and 纳丙村 alone may have
    # too few left once the demo's project wages are in its households' incomes.
    ui.login("menga-township")
    ui.goto("monitoring/?status=open")
    rows = page.locator("#alerts tr[data-alert]")
    expect(rows.first).to_be_visible()
    assert fits_the_screen(ui), "the worklist is wider than the screen"
    ui.shot("1-worklist")
    rows.first.locator("a").click()
    expect(page.locator("#alert-reasons li").first).to_be_visible()
    page.locator("#assign-form button").click()
    expect(page.locator("#verify-form")).to_be_visible()
    page.locator("#visit-notes").fill("务工收入中断，家中有病人")
    page.locator("#verify-form button").click()
    admit = page.locator("#admit-form")
    expect(admit).to_be_visible()
    admit.locator("input[name=risk_types]").first.check()
    page.locator("#admit").click()
    error = page.locator("#alert-error")  # no consent was recorded at the visit
    expect(error).to_contain_text("承诺授权")
    ui.shot("2-refused")
    page.locator("#dismiss-reason").fill("核实后收入已恢复")
    page.locator("#dismiss-form button").click()
    expect(page.locator("#alert-status")).to_have_text("已排除")
    ui.shot("3-dismissed")
    assert not ui.errors
