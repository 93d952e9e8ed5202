"""The dashboard in a real headless browser (Debian's chromium via Playwright) against `patbm run`.

A Dinas officer asks `/dasbor` in a Telegram chat (the fake Bot API), opens the link, sees the
seeded month's figures, which equal `patbm stats --month` row by row, downloads the export and
finds no personal data in it. A reused link, a cadre's link and a tampered cookie are refused;
a coordinator sees their kecamatan only. The main page's screenshot goes to docs/dashboard.png.
Skipped, with the reason, only where chromium or Playwright is not installed (.ci/run installs
both).
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.core.db import Database
from bot.core.settings import Settings
from bot.reporting.dashboard.cookies import COOKIE
from bot.reporting.dashboard.tokens import issue_link
from models import AccessEvent, Base, Staff
from tests.fakes.telegram_api import FakeTelegram
from tests.support import dbutil
from tests.support.dashboard_support import (
    DINAS_CHAT,
    KADER_CHAT,
    KOORD_CHAT,
    DashboardWorld,
    link_url,
    seed_dashboard,
)
from tests.support.e2e_helpers import ROOT, PatbmProcess, TelegramUser
from tests.support.reporting_seed import PERSONAL, at

CHROMIUM = os.environ.get("PATBM_CHROMIUM", "/usr/bin/chromium")
SCREENSHOT = ROOT / "docs" / "dashboard.png"

try:
    from playwright.async_api import Browser, Page, async_playwright
except ImportError:  # pragma: no cover - the dev extra installs it
    async_playwright = None  # type: ignore[assignment]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(async_playwright is None, reason="playwright is not installed"),
    pytest.mark.skipif(
        shutil.which(CHROMIUM) is None,
        reason=f"no chromium at {CHROMIUM} (apt-get install chromium; .ci/run does)",
    ),
]


async def _seed(url: str) -> DashboardWorld:
    database = Database(url)
    try:
        if database.is_sqlite:
            async with database.engine.begin() as conn:
                await conn.run_sync(Base.metadata.create_all)
        else:
            await dbutil.truncate_all(database.engine)
        async with database.transaction() as session:
            return await seed_dashboard(session, at("2026-11-23T02:00:00"))
    finally:
        await database.dispose()


async def _cadre_link(url: str, base: str, staff_id: int) -> str:
    """A link issued to a cadre (as if their role changed after it was sent)."""
    database = Database(url)
    try:
        async with database.transaction() as session:
            staff = await session.get(Staff, staff_id)
            assert staff is not None
            settings = Settings(public_url=base, _env_file=None)  # type: ignore[call-arg]
            # `patbm run` reads the system clock: the link is valid from now.
            return await issue_link(session, staff, datetime.now(UTC), settings)
    finally:
        await database.dispose()


async def _refusal_reasons(url: str) -> list[str]:
    database = Database(url)
    try:
        async with database.transaction() as session:
            rows = await session.scalars(
                select(AccessEvent)
                .where(AccessEvent.kind.like("%refused"))
                .order_by(AccessEvent.id)
            )
            return [str(e.data.get("reason")) for e in rows]
    finally:
        await database.dispose()


def _cli_tables(env: dict[str, str], month: str) -> dict[str, list[tuple[str, str]]]:
    """`patbm stats --month` parsed: heading -> [(label, count)] of each table with a count."""
    out = subprocess.run(
        [sys.executable, "-m", "bot.runtime.cli", "stats", "--month", month],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    tables: dict[str, list[tuple[str, str]]] = {}
    for block in out.split("\n\n"):
        lines = block.strip("\n").splitlines()
        rule = next((i for i, line in enumerate(lines) if set(line) <= {"-", " "} and line), None)
        if rule is None or rule == 0:
            continue
        head = re.split(r"\s{2,}", lines[rule - 1].strip())
        cells = [re.split(r"\s{2,}", line.strip()) for line in lines[rule + 1 :]]
        # A note under a table is one phrase, not a row.
        tables[head[0]] = [(row[0], row[1]) for row in cells if len(row) >= 2]
    # The follow-up answers show on the page once there are any (none in this seed).
    tables.pop("Jawaban", None)
    return tables


async def _page_tables(page: Page) -> dict[str, list[tuple[str, str]]]:
    found: list[dict[str, Any]] = await page.eval_on_selector_all(
        "table.figures",
        """tables => tables.map(t => ({block: t.dataset.block,
            rows: [...t.rows].map(r => [r.cells[0].innerText, r.cells[1].innerText])}))""",
    )
    tables = {t["block"]: [(r[0], r[1]) for r in t["rows"]] for t in found}
    measures: list[list[str]] = await page.eval_on_selector_all(
        ".measure",
        "els => els.map(e => [...e.children].map(c => c.innerText))",
    )
    tables["measures"] = [(m[0], m[1]) for m in measures]
    return tables


async def _sign_in(browser: Browser, url: str) -> Page:
    context = await browser.new_context(
        accept_downloads=True, viewport={"width": 1000, "height": 900}
    )
    context.set_default_timeout(10_000)
    page = await context.new_page()
    await page.goto(url)
    await page.click("#masuk")
    await page.wait_for_url(re.compile(r".*/dashboard$"))
    return page


@pytest.fixture
async def running(
    database_url: str, tmp_path: Path, keyring: Any
) -> AsyncIterator[tuple[FakeTelegram, PatbmProcess, DashboardWorld]]:
    world = await _seed(database_url)
    with FakeTelegram.running() as fake:
        proc = PatbmProcess(database_url, fake.api_url, fake.token, tmp_path)
        proc.start()
        try:
            yield fake, proc, world
        finally:
            proc.ensure_stopped()


async def test_dashboard_in_a_browser(
    running: tuple[FakeTelegram, PatbmProcess, DashboardWorld], database_url: str, tmp_path: Path
) -> None:
    assert async_playwright is not None
    fake, proc, world = running
    dinas = TelegramUser(fake, database_url, DINAS_CHAT)
    # In chat: the month's export arrives as a document, the figures with a chart.
    assert "2 kasus" in (await dinas.text("/ekspor 2026-11"))[-1]
    [document] = fake.calls_to("sendDocument")
    assert bytes(document.params["document"])[:2] == b"PK"
    assert "Jumlah kasus: 2" in (await dinas.text("/statistik 2026-11"))[-1]
    assert fake.calls_to("sendPhoto")
    url = link_url((await dinas.text("/dasbor"))[-1])
    assert url.startswith(f"{proc.url}/dashboard/login?t=")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox"], timeout=30_000
        )
        page = await _sign_in(browser, url)
        await page.goto(f"{proc.url}/dashboard?bulan=2026-11")
        assert await page.inner_text("#period") == "2026-11-01 s.d. 2026-11-30"
        shown = await _page_tables(page)
        printed = _cli_tables(proc.env, "2026-11")
        measures = printed.pop("Ukuran")
        assert printed and all(shown[heading] == rows for heading, rows in printed.items())
        assert [m for m in shown["measures"] if m[0] != "Jumlah kasus"] == measures
        assert ("Jumlah kasus", "2") in shown["measures"]
        assert world.references["escalated"] in await page.inner_text("#open-cases")
        SCREENSHOT.parent.mkdir(exist_ok=True)
        await page.screenshot(path=str(SCREENSHOT), full_page=True)
        # On a phone's width the page reflows: nothing wider than the screen.
        await page.set_viewport_size({"width": 390, "height": 844})
        assert await page.evaluate("document.documentElement.scrollWidth") <= 390

        for link, fmt in (("#export-xlsx", "xlsx"), ("#export-csv", "csv")):
            async with page.expect_download() as info:
                await page.click(link)
            saved = tmp_path / f"export.{fmt}"
            await (await info.value).save_as(saved)
            assert saved.stat().st_size > 0
        from openpyxl import load_workbook

        book = load_workbook(tmp_path / "export.xlsx", read_only=True)
        cells = " ".join(str(c) for row in book["Kasus"].iter_rows(values_only=True) for c in row)
        rows = list(csv.reader(io.StringIO((tmp_path / "export.csv").read_text())))
        assert len(rows) == 3 and world.references["escalated"] in cells
        for marker in PERSONAL:
            assert marker not in cells and marker not in str(rows)

        # Refused: the same link again, a cadre's link, a tampered cookie.
        reused = await (await browser.new_context()).new_page()
        await reused.goto(url)
        assert "Akses ditolak" in await reused.inner_text("body")
        cadre = TelegramUser(fake, database_url, KADER_CHAT)
        assert "hanya untuk" in (await cadre.text("/dasbor"))[-1]
        cadre_url = await _cadre_link(database_url, proc.url, world.seeded.kader.id)
        cadre_page = await (await browser.new_context()).new_page()
        await cadre_page.goto(cadre_url)
        await cadre_page.click("#masuk")
        assert "Akses ditolak" in await cadre_page.inner_text("body")
        cookies = await page.context.cookies()
        value = next(c["value"] for c in cookies if c["name"] == COOKIE)
        tampered = ("B" if value[0] == "A" else "A") + value[1:]
        forged = await browser.new_context()
        await forged.add_cookies(
            [{"name": COOKIE, "value": tampered, "url": f"{proc.url}/dashboard"}]
        )
        forged_page = await forged.new_page()
        await forged_page.goto(f"{proc.url}/dashboard")
        assert "Akses ditolak" in await forged_page.inner_text("body")

        # A coordinator of Jambi Selatan: that kecamatan only, whatever the period.
        koord = TelegramUser(fake, database_url, KOORD_CHAT)
        koord_page = await _sign_in(browser, link_url((await koord.text("/dasbor"))[-1]))
        await koord_page.goto(f"{proc.url}/dashboard?bulan=2026-11")
        body = await koord_page.inner_text("body")
        assert "Jambi Selatan" in body and "Telanaipura" not in body
        assert ("Jumlah kasus", "1") in (await _page_tables(koord_page))["measures"]
        await koord_page.goto(f"{proc.url}/dashboard?dari=2026-10-01&sampai=2026-11-30")
        assert world.references["new_last_month"] not in await koord_page.inner_text("body")
        await browser.close()
    reasons = await _refusal_reasons(database_url)
    assert reasons[:4] == ["reused_link", "role", "role", "bad_cookie"], reasons
