"""Assistance in Chromium, at desktop and phone sizes: a village cadre opens an alert from the
worklist, goes to the household, records a home visit with a photo (the phone's camera input),
adds a support measure, and the household's page shows both."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

import pytest
from PIL import Image
from playwright.sync_api import expect

if TYPE_CHECKING:
    from .conftest import UI

pytestmark = pytest.mark.browser


def photo() -> dict[str, object]:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (40, 120, 60)).save(out, format="JPEG")
    return {"name": "屋顶.jpg", "mimeType": "image/jpeg", "buffer": out.getvalue()}


def fits_the_screen(ui: UI) -> bool:
    return bool(ui.page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"))


def test_a_visit_with_a_photo_and_a_measure_reach_the_household_page(ui: UI) -> None:
    page = ui.page
    findings = f"屋顶漏雨，需维修（{ui.viewport}）"
    ui.login("nabing-village")
    ui.goto("monitoring/?status=")  # any alert of the village: the household is what counts
    page.locator("#alerts tr[data-alert] a").first.click()
    page.locator("#alert-household").click()
    panel = page.locator("#assistance")
    expect(panel).to_be_visible()
    ui.shot("1-household")
    page.locator("#panel-open").click()
    page.locator("#record-visit").click()
    expect(page.locator("#visit-form")).to_be_visible()
    assert fits_the_screen(ui), "the visit form is wider than the screen"
    page.locator("#visit-findings").fill(findings)
    page.locator("#visit-photos").set_input_files(photo())
    ui.shot("2-visit-form")
    page.locator("#visit-save").click()
    visit = page.locator("ul.visits li", has_text=findings)
    expect(visit).to_be_visible()
    thumb = visit.locator("img.thumb")
    expect(thumb).to_have_count(1)
    thumb.scroll_into_view_if_needed()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth === 64", arg=thumb.element_handle()
    )
    page.locator("#measure-kind").select_option("employment")
    page.locator("#measure-amount").fill("2000.50")
    page.locator("#measure-effect").fill("转移就业增收")
    page.locator("#measure-save").click()
    expect(page.locator("#plan table.measures")).to_contain_text("2000.50")
    assert fits_the_screen(ui), "the household's assistance page is wider than the screen"
    ui.shot("3-assistance")
    page.locator("#registry-link").click()
    expect(page.locator("#panel-visits")).to_contain_text(findings)
    expect(page.locator("#panel-measures")).to_contain_text("2000.50")
    ui.shot("4-household-shows-it")
    assert not ui.errors
