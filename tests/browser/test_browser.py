"""The web UI in Debian's Chromium, at desktop (1280×800) and phone (390×844) sizes, against the
real server. Screenshots of each key state go to test-artifacts/screenshots/."""

from __future__ import annotations

import csv
import re
from importlib.resources import files
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import expect

if TYPE_CHECKING:
    from .conftest import UI

pytestmark = pytest.mark.browser

MENGHAI = "532822000000"  # 勐海县, a county in Xishuangbanna
MENGA = "532822106000"  # 勐阿镇, a township of Menghai
NABING = "532822106207"  # 纳丙村, a village of Menga
MANGSHI = "533103000000"  # 芒市, a county in Dehong (paired with Qingpu, not Songjiang)
CHINESE = re.compile(r"^\s*[\u4e00-\u9fff]+\s*$")  # wording may change; the script may not


def reference_children(code: str) -> set[str]:
    text = files("bangfu.regions").joinpath("data/regions.csv").read_text(encoding="utf-8")
    return {row["code"] for row in csv.DictReader(text.splitlines()) if row["parent_code"] == code}


def walk_tree(ui: UI, *, shots: bool = True) -> None:
    """As menghai-county: Regions → 勐海县 → 勐阿镇 → 纳丙村's page (htmx loads each level)."""
    shot = ui.shot if shots else (lambda state: None)
    page = ui.page
    ui.login("menghai-county")
    ui.nav("regions")
    expect(page).to_have_url(ui.url("regions/"))

    tree = page.locator("#region-tree")
    roots = tree.locator(":scope > li.node")
    expect(roots).to_have_count(1)
    expect(roots.locator(":scope > a")).to_have_text("勐海县")
    expect(roots.locator(":scope > a")).to_have_attribute("href", f"/regions/{MENGHAI}/")
    shot("1-root")

    tree.locator(f"button.toggle[data-code='{MENGHAI}']").click()
    menga = tree.locator(f"a[href='/regions/{MENGA}/']")
    expect(menga).to_have_text("勐阿镇")
    townships = roots.locator(":scope > ul.tree > li.node > a")
    expect(townships).to_have_count(len(reference_children(MENGHAI)))
    shot("2-townships")

    tree.locator(f"button.toggle[data-code='{MENGA}']").click()
    nabing = tree.locator(f"a[href='/regions/{NABING}/']")
    expect(nabing).to_have_text("纳丙村")
    villages = menga.locator("xpath=..").locator(":scope > ul.tree > li.node > a")
    expect(villages).to_have_count(len(reference_children(MENGA)))
    shot("3-villages")

    menga_toggle = tree.locator(f"button.toggle[data-code='{MENGA}']")
    expect(menga_toggle).to_have_attribute("aria-expanded", "true")
    menga_toggle.click()  # collapse, without a request
    expect(villages).to_have_count(0)
    expect(menga_toggle).to_have_attribute("aria-expanded", "false")
    menga_toggle.click()  # and open again
    expect(villages).to_have_count(len(reference_children(MENGA)))

    nabing.click()
    expect(page).to_have_url(ui.url(f"regions/{NABING}/"))
    expect(page.locator("#region-name")).to_have_text("纳丙村")
    crumbs = page.locator("nav.crumbs")
    expect(crumbs).to_contain_text("勐阿镇")
    expect(crumbs).to_contain_text("勐海县")
    expect(page.locator("main")).to_contain_text(NABING)
    shot("4-village")


def test_login_shows_user_and_pairings(ui: UI) -> None:
    page = ui.page
    ui.goto("accounts/login/")
    expect(page.locator("#login-form")).to_be_visible()
    ui.shot("1-login")

    ui.login("songjiang-office")
    expect(page.locator(".topbar .who")).to_have_text("松江区合作交流办")
    expect(page.locator("main .hero")).to_contain_text("松江区合作交流办")
    ui.shot("2-home")

    ui.nav("pairings")
    expect(page).to_have_url(ui.url("pairings/"))
    rows = page.locator("#pairing-table tbody tr")
    for west in ("西双版纳傣族自治州", "勐海县", "勐腊县", "定日县"):
        row = rows.filter(has_text=west)
        expect(row).to_have_count(1)
        expect(row.locator("td").first).to_have_text("松江区")
    expect(rows).to_have_count(4)  # Qingpu's pairing with Dehong is not Songjiang's business
    expect(page.locator("#pairing-table")).not_to_contain_text("德宏")
    ui.shot("3-pairings")
    assert not ui.errors


def test_wrong_password_is_refused(ui: UI) -> None:
    page = ui.page
    ui.goto("accounts/login/")
    form = page.locator("#login-form")
    form.locator("input[name=username]").fill("qingpu-office")
    form.locator("input[name=password]").fill("not-the-password")
    form.locator("button[type=submit]").click()

    alert = form.locator(".errorlist[role=alert]")
    expect(alert).to_be_visible()
    expect(alert).to_have_text(re.compile(r"[\u4e00-\u9fff]"))  # said in Chinese, the default
    expect(page).to_have_url(ui.url("accounts/login/"))
    expect(page.locator("#logout")).to_have_count(0)
    expect(page.locator(".topbar .who")).to_have_count(0)
    expect(page.locator("#login-link")).to_be_visible()
    ui.shot("1-refused")

    # Still signed out: a protected page sends us back to the login form.
    ui.goto("pairings/")
    expect(page).to_have_url(ui.url("accounts/login/?next=/pairings/"))


def test_language_switch(ui: UI) -> None:
    page = ui.page
    html = page.locator("html")
    switch = page.locator("#lang-switch")
    regions_link = page.locator("nav.menu a[data-nav=regions]")
    ui.login("menghai-county")
    ui.goto(f"regions/{MENGHAI}/")
    expect(html).to_have_attribute("lang", "zh-hans")
    expect(switch).to_have_text("English")
    expect(page.locator("#region-name")).to_have_text("勐海县")
    expect(regions_link).to_have_text(CHINESE)
    ui.shot("1-chinese")

    switch.click()
    expect(html).to_have_attribute("lang", "en")
    expect(page).to_have_url(ui.url(f"regions/{MENGHAI}/"))  # stays on the same page
    expect(switch).to_have_text("中文")
    expect(page.locator("#region-name")).to_have_text("Menghai County")
    expect(regions_link).to_have_text("Regions")
    if ui.phone:
        page.locator("label.menu-button").click()
    expect(regions_link).to_be_visible()
    ui.shot("2-english")

    switch.click()
    expect(html).to_have_attribute("lang", "zh-hans")
    expect(switch).to_have_text("English")
    expect(page.locator("#region-name")).to_have_text("勐海县")
    expect(regions_link).to_have_text(CHINESE)
    ui.shot("3-chinese-again")
    assert not ui.errors


def test_region_tree_walk(ui: UI) -> None:
    walk_tree(ui)
    assert not ui.errors


def test_scope_in_the_browser(ui: UI) -> None:
    page = ui.page
    ui.login("menghai-county")
    hidden = ui.goto(f"regions/{MANGSHI}/")
    assert hidden.status == 404
    hidden_text = page.locator("body").inner_text()
    assert "芒市" not in hidden_text
    ui.shot("1-menghai-404")
    absent = ui.goto("regions/999999999999/")
    assert absent.status == 404
    assert page.locator("body").inner_text() == hidden_text  # hidden looks exactly like absent
    assert page.request.get(ui.url(f"regions/{MANGSHI}/children/")).status == 404

    page.context.clear_cookies()  # sign out, then in as the Songjiang office
    ui.login("songjiang-office")
    paired = ui.goto(f"regions/{MENGHAI}/")
    assert paired.status == 200
    expect(page.locator("#region-name")).to_have_text("勐海县")
    expect(page.locator("#pairings")).to_contain_text("松江区")
    ui.shot("2-songjiang-paired")
    other = ui.goto(f"regions/{MANGSHI}/")
    assert other.status == 404
    assert "芒市" not in page.locator("body").inner_text()
    ui.shot("3-songjiang-404")


def test_every_request_stays_local(ui: UI) -> None:
    """No CDN, web font or analytics: the login and the tree walk load only our own server."""
    walk_tree(ui, shots=False)  # test_region_tree_walk keeps the same screenshots
    ui.nav("pairings")
    expect(ui.page.locator("#pairing-table")).to_be_visible()

    foreign = [url for url in ui.requests if not url.startswith(ui.base)]
    assert not foreign, f"requests to other origins: {foreign}"
    assert not ui.failed, f"failed requests: {ui.failed}"
    assert not ui.errors, f"script errors: {ui.errors}"
    assets = {url.removeprefix(ui.base) for url in ui.requests if "/static/" in url}
    assert any(a.endswith("bangfu/bangfu.css") for a in assets), assets
    assert any(a.endswith(".js") and "htmx" in a for a in assets), assets
    assert any("/children/" in url for url in ui.requests), "the tree made no htmx requests"
