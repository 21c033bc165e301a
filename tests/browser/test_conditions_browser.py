"""A household's production assets and living conditions in Chromium, at desktop and phone
sizes: from the household page to the edit form, a refusal beside its field, the saved values
back on the household page, and nothing wider than the phone's screen."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import expect

if TYPE_CHECKING:
    from .conftest import UI

pytestmark = pytest.mark.browser

NABING = "532822106207"  # 纳丙村


def fits_the_screen(ui: UI) -> bool:
    return bool(ui.page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"))


def test_conditions_are_shown_and_edited(ui: UI) -> None:
    page = ui.page
    ui.login("nabing-village")
    ui.goto(f"households/?region={NABING}")
    page.locator("tr[data-household] a").first.click()
    section = page.locator("#conditions")
    expect(section).to_be_visible()
    ui.shot("1-household")

    section.locator("#edit-conditions").click()
    form = page.locator("#conditions-form")
    expect(form).to_be_visible()
    assert fits_the_screen(ui), "the form is wider than the screen"
    form.locator("input[name=arable_mu]").fill("-3")
    form.locator("input[name=cattle]").fill("2")
    form.locator("input[name=road_type]").fill("水泥路")
    form.locator("input[name=sanitary_toilet]").check()
    form.locator("input[name=reason]").fill("入户核实")
    form.locator("button.primary").click()

    bad = page.locator(".field.invalid")
    expect(bad).to_have_count(1)
    expect(bad.locator("input[name=arable_mu]")).to_have_value("-3")
    expect(bad.locator(".errorlist")).to_contain_text("validation_error")
    ui.shot("2-refused")

    page.locator("#conditions-form input[name=arable_mu]").fill("4.5")
    page.locator("#conditions-form button.primary").click()
    expect(page.locator("ul.messages")).to_be_visible()
    facts = page.locator("#production-facts")
    expect(facts).to_contain_text("4.50")
    expect(page.locator("#living-facts")).to_contain_text("水泥路")
    assert fits_the_screen(ui), "the household page is wider than the screen"
    ui.shot("3-saved")
    assert not ui.errors
