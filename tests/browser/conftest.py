"""Browser fixtures: the real server (``bangfu demo --no-serve`` then ``bangfu serve``) in a
subprocess on a fresh SQLite file, and Debian's Chromium driven by Playwright's sync API.

Nothing here touches the test database: pytest-django's live_server would flush it, which the
append-only audit tables refuse. The fixtures are package-scoped so that Playwright's event loop
is gone before the rest of the suite uses the ORM again.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DEMO_PASSWORD = "bangfu-demo"  # every demo user's (bangfu.demo.builder)
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
VIEWPORTS: dict[str, dict[str, Any]] = {
    "desktop": {"viewport": {"width": 1280, "height": 800}},
    "phone": {
        "viewport": {"width": 390, "height": 844},
        "device_scale_factor": 2,
        "is_mobile": True,
        "has_touch": True,
    },
}
SERVER_START_SECONDS = 30
ACTION_TIMEOUT_MS = 10_000


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:  # noqa: S310 (our own server)
            return int(response.status) == 200
    except (urllib.error.URLError, OSError):
        return False


@pytest.fixture(scope="package")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL (ending in ``/``) of a real ``bangfu serve`` on a freshly built demo database."""
    var_dir = tmp_path_factory.mktemp("bangfu-var")
    bangfu = Path(sys.executable).parent / "bangfu"
    env = dict(os.environ)
    for name in ("DATABASE_URL", "BANGFU_ALLOWED_HOSTS", "BANGFU_TRUSTED_PROXIES"):
        env.pop(name, None)
    env.update(
        BANGFU_VAR_DIR=str(var_dir),
        DJANGO_SETTINGS_MODULE="bangfu.settings.base",
        DEBUG="0",
        PYTHONUNBUFFERED="1",
    )
    demo = subprocess.run(
        [str(bangfu), "demo", "--no-serve"],
        env=env,
        cwd=var_dir,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if demo.returncode != 0:
        pytest.fail(
            f"`bangfu demo --no-serve` failed ({demo.returncode}):\n{demo.stdout}\n{demo.stderr}"
        )

    port = _free_port()
    base = f"http://127.0.0.1:{port}/"
    log_path = var_dir / "server.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            [str(bangfu), "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            cwd=var_dir,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + SERVER_START_SECONDS
        while not _answers(base + "accounts/login/"):
            if server.poll() is not None or time.monotonic() > deadline:
                state = (
                    f"exited with {server.returncode}"
                    if server.poll() is not None
                    else f"did not answer within {SERVER_START_SECONDS} s"
                )
                pytest.fail(
                    f"`bangfu serve --port {port}` {state}. Server log ({log_path}):\n"
                    + log_path.read_text(errors="replace")
                )
            time.sleep(0.1)
        yield base
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)


@pytest.fixture(scope="package")
def chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class UI:
    """One browser tab on the server, with what it requested and any script errors."""

    page: Any
    base: str
    viewport: str
    test: str
    requests: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def phone(self) -> bool:
        return self.viewport == "phone"

    def url(self, path: str) -> str:
        return self.base + path.lstrip("/")

    def goto(self, path: str) -> Any:
        return self.page.goto(self.url(path))

    def shot(self, state: str) -> Path:
        """Keep a full-page screenshot: test-artifacts/screenshots/<test>-<viewport>-<state>.png."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{self.test}-{self.viewport}-{state}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def login(self, username: str, password: str = DEMO_PASSWORD) -> None:
        from playwright.sync_api import expect

        self.goto("accounts/login/")
        form = self.page.locator("#login-form")
        form.locator("input[name=username]").fill(username)
        form.locator("input[name=password]").fill(password)
        form.locator("button[type=submit]").click()
        expect(self.page).to_have_url(self.base)
        expect(self.page.locator("#logout")).to_be_visible()

    def nav(self, name: str) -> None:
        """Follow a main-menu link; on the phone the menu is behind the ☰ button first."""
        from playwright.sync_api import expect

        link = self.page.locator(f"nav.menu a[data-nav={name}]")
        button = self.page.locator("label.menu-button")
        if self.phone:
            expect(link).to_be_hidden()
            expect(button).to_be_visible()
            button.click()
        else:
            expect(button).to_be_hidden()
        expect(link).to_be_visible()
        link.click()


@pytest.fixture(params=list(VIEWPORTS))
def ui(request: pytest.FixtureRequest, chromium: Any, server_url: str) -> Iterator[UI]:
    """A fresh browser context (no cookies) with a Chinese browser locale, per viewport."""
    context = chromium.new_context(locale="zh-CN", **VIEWPORTS[request.param])
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    page = context.new_page()
    ui = UI(page=page, base=server_url, viewport=request.param, test=request.node.originalname)
    page.on("request", lambda r: ui.requests.append(r.url))
    page.on("requestfailed", lambda r: ui.failed.append(f"{r.url}: {r.failure}"))
    page.on("pageerror", lambda e: ui.errors.append(str(e)))
    try:
        yield ui
    finally:
        context.close()
