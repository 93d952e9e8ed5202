"""The dashboard over HTTP in process (the ASGI app of `patbm run`), and its chat commands.

Sign-in with a one-time link from `/dasbor`, the session cookie, refusals (reused, expired,
a cadre's link, a tampered cookie, no CSRF token), a coordinator's scope, the downloads, and
`/ekspor` and `/statistik` in chat. The browser tests (test_dashboard_browser.py) drive the
same pages through `patbm run` and chromium.
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select

from bot.admin.audit import access_log, render_access
from bot.core.app import App
from bot.core.settings import Settings
from bot.reporting.dashboard.cookies import COOKIE, cookie_options
from bot.reporting.dashboard.tokens import issue_link
from bot.runtime.http import build_http_app
from models import AccessEvent, Staff
from tests.support.casework_fixtures import all_text
from tests.support.chat import Chat
from tests.support.dashboard_support import (
    DINAS_CHAT,
    KADER_CHAT,
    KOORD_CHAT,
    RESIDENT_CHAT,
    DashboardWorld,
    link_token,
    seed_dashboard,
)
from tests.support.reporting_seed import PERSONAL

STAFF_NAMES = {"Siti Rahmawati", "Budi Santoso", "Dewi Lestari"}


@pytest.fixture
async def world(app: App) -> DashboardWorld:
    async with app.db.transaction() as session:
        return await seed_dashboard(session, app.clock.now())


@pytest.fixture
async def client(app: App) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=build_http_app(app))
    async with httpx.AsyncClient(transport=transport, base_url="http://patbm.test") as c:
        yield c


async def _sign_in(app: App, client: httpx.AsyncClient, chat: int) -> tuple[str, httpx.Response]:
    """`/dasbor` in chat, open the link, press the button: (the token, the POST's response)."""
    token = link_token(all_text(await Chat(app, str(chat)).send("/dasbor")))
    form = await client.get("/dashboard/login", params={"t": token})
    assert form.status_code == 200 and 'name="t"' in form.text
    response = await client.post("/dashboard/login", data={"t": token})
    client.cookies.clear()  # each request below says which cookie it sends, if any
    return token, response


def _cookie(response: httpx.Response) -> str:
    value = response.cookies.get(COOKIE)
    assert value, response.headers
    return value


def _sending(value: str) -> dict[str, str]:
    return {"cookie": f"{COOKIE}={value}"}


async def _reasons(app: App) -> list[str]:
    async with app.db.transaction() as session:
        events = await session.scalars(
            select(AccessEvent).where(AccessEvent.kind.like("%refused")).order_by(AccessEvent.id)
        )
        return [str(e.data.get("reason")) for e in events]


async def test_dinas_signs_in_sees_the_month_and_downloads(
    app: App, world: DashboardWorld, client: httpx.AsyncClient
) -> None:
    token, signed_in = await _sign_in(app, client, DINAS_CHAT)
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/dashboard"
    header = signed_in.headers["set-cookie"].lower()
    assert "httponly" in header and "samesite=strict" in header and "path=/dashboard" in header
    assert "secure" not in header  # served over http here
    cookies = _sending(_cookie(signed_in))
    page = await client.get("/dashboard", headers=cookies)
    assert page.status_code == 200
    assert "2026-11-01 s.d. 2026-11-30" in page.text and "<svg" in page.text
    assert world.references["escalated"] in page.text  # open, in the list
    assert page.headers["cache-control"] == "no-store"
    for marker in PERSONAL:
        # Staff names may show (the assignee column, the signed-in officer); nothing else.
        if marker not in STAFF_NAMES:
            assert marker not in page.text
    csv = await client.get("/dashboard/ekspor.csv", params={"bulan": "2026-11"}, headers=cookies)
    assert csv.status_code == 200 and "attachment" in csv.headers["content-disposition"]
    assert len(csv.text.strip().splitlines()) == 3  # header and two cases
    xlsx = await client.get("/dashboard/ekspor.xlsx", params={"bulan": "2026-11"}, headers=cookies)
    assert xlsx.content[:2] == b"PK"
    for marker in PERSONAL:
        assert marker not in csv.text
    again = await client.post("/dashboard/login", data={"t": token})
    assert again.status_code == 403 and COOKIE not in again.cookies
    async with app.db.transaction() as session:
        kinds = list(await session.scalars(select(AccessEvent.kind).order_by(AccessEvent.id)))
    assert kinds.count("dashboard_export") == 2 and "dashboard_signed_in" in kinds
    assert await _reasons(app) == ["reused_link"]


async def test_refused_cadre_resident_expired_tampered(
    app: App, world: DashboardWorld, client: httpx.AsyncClient
) -> None:
    assert "hanya untuk" in all_text(await Chat(app, str(KADER_CHAT)).send("/dasbor"))
    assert "hanya untuk" in all_text(await Chat(app, str(RESIDENT_CHAT)).send("/dasbor"))
    # A link issued to a cadre (a role changed after the link was sent) opens nothing.
    async with app.db.transaction() as session:
        kader = await session.get(Staff, world.seeded.kader.id)
        assert kader is not None
        url = await issue_link(session, kader, app.clock.now(), app.settings)
    cadre = await client.post("/dashboard/login", data={"t": url.split("t=", 1)[1]})
    assert cadre.status_code == 403 and "Akses ditolak" in cadre.text
    token = link_token(all_text(await Chat(app, str(DINAS_CHAT)).send("/dasbor")))
    app.clock.advance(timedelta(minutes=11))  # type: ignore[attr-defined]
    assert (await client.post("/dashboard/login", data={"t": token})).status_code == 403
    _, signed_in = await _sign_in(app, client, DINAS_CHAT)
    good = _cookie(signed_in)
    tampered = good[:-1] + ("0" if good[-1] != "0" else "1")
    forged = "x" * 43 + good[good.index(".") :]
    for cookie in (tampered, forged):
        refused = await client.get("/dashboard", headers=_sending(cookie))
        assert refused.status_code == 403
    assert (await client.get("/dashboard")).status_code == 403
    async with app.db.transaction() as session:
        listed = render_access(await access_log(session), app.settings.zone)
    assert "dashboard_refused" in listed and "reason=bad_cookie" in listed
    assert await _reasons(app) == [
        "role",
        "not_staff",
        "role",
        "expired_link",
        "bad_cookie",
        "bad_cookie",
        "no_cookie",
    ]


async def test_coordinator_sees_only_their_kecamatan(
    app: App, world: DashboardWorld, client: httpx.AsyncClient
) -> None:
    _, signed_in = await _sign_in(app, client, KOORD_CHAT)
    cookies = _sending(_cookie(signed_in))
    november = await client.get("/dashboard", params={"bulan": "2026-11"}, headers=cookies)
    assert "Jambi Selatan" in november.text and "Telanaipura" not in november.text
    october = await client.get("/dashboard", params={"bulan": "2026-10"}, headers=cookies)
    assert world.references["new_last_month"] not in october.text  # Telanaipura's case
    csv = await client.get("/dashboard/ekspor.csv", params={"bulan": "2026-11"}, headers=cookies)
    lines = csv.text.strip().splitlines()
    assert len(lines) == 2 and world.references["escalated"] in lines[1]


async def test_sign_out_needs_csrf_and_ends_sessions(
    app: App, world: DashboardWorld, client: httpx.AsyncClient
) -> None:
    _, signed_in = await _sign_in(app, client, DINAS_CHAT)
    cookies = _sending(_cookie(signed_in))
    page = (await client.get("/dashboard", headers=cookies)).text
    csrf = page.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    assert (await client.post("/dashboard/logout", headers=cookies)).status_code == 403
    elsewhere = {**cookies, "origin": "https://evil.example"}
    crossed = await client.post("/dashboard/logout", data={"csrf": csrf}, headers=elsewhere)
    assert crossed.status_code == 403
    assert (await client.get("/dashboard", headers=cookies)).status_code == 200
    out = await client.post("/dashboard/logout", data={"csrf": csrf}, headers=cookies)
    assert out.status_code == 200
    assert (await client.get("/dashboard", headers=cookies)).status_code == 403
    # `/dasbor keluar` in chat ends the sessions of every browser.
    _, second = await _sign_in(app, client, DINAS_CHAT)
    cookies = _sending(_cookie(second))
    assert "diakhiri" in all_text(await Chat(app, str(DINAS_CHAT)).send("/dasbor keluar"))
    assert (await client.get("/dashboard", headers=cookies)).status_code == 403


def test_cookie_is_secure_behind_https(settings: Settings) -> None:
    assert cookie_options(settings)["secure"] is False
    https = settings.model_copy(update={"public_url": "https://patbm.example.go.id/"})
    assert https.public_base_url == "https://patbm.example.go.id"
    assert cookie_options(https)["secure"] is True
    hooked = settings.model_copy(
        update={"telegram_webhook_url": "https://bot.example.go.id/webhooks/telegram"}
    )
    assert hooked.public_base_url == "https://bot.example.go.id"


async def test_export_and_statistics_in_chat(app: App, world: DashboardWorld) -> None:
    from openpyxl import load_workbook

    dinas = Chat(app, str(DINAS_CHAT))
    [export] = await dinas.send("/ekspor 2026-11")
    assert export.media is not None and export.media.kind == "document"
    assert export.media.file_id.endswith(".xlsx") and "2 kasus" in export.text
    content = export.media.content()
    assert content is not None
    book = load_workbook(io.BytesIO(content), read_only=True)
    cells = " ".join(str(c) for row in book["Kasus"].iter_rows(values_only=True) for c in row)
    assert world.references["escalated"] in cells
    for marker in PERSONAL:
        assert marker not in cells
    [stats] = await dinas.send("/statistik 2026-11")
    assert stats.media is not None and stats.media.kind == "photo"
    assert "Jumlah kasus: 2" in stats.text and "Kasus yang dieskalasi: 50%" in stats.text
    assert "TTTT-BB" in all_text(await dinas.send("/statistik November"))
    assert "hanya untuk" in all_text(await Chat(app, str(KADER_CHAT)).send("/ekspor"))


async def test_the_page_speaks_the_officers_language(
    app: App, world: DashboardWorld, client: httpx.AsyncClient
) -> None:
    async with app.db.transaction() as session:
        dinas = await session.get(Staff, world.seeded.dinas.id)
        assert dinas is not None
        dinas.language = "en"
    _, signed_in = await _sign_in(app, client, DINAS_CHAT)
    page = await client.get("/dashboard", headers=_sending(_cookie(signed_in)))
    assert 'lang="en"' in page.text
    for words in (
        "PATBM dashboard",
        "Open and overdue cases",
        "Deadlines met",
        "Physical violence",
    ):
        assert words in page.text
    assert "Kekerasan fisik" not in page.text
    refused = await client.get("/dashboard", headers=_sending("forged.cookie"))
    assert "Akses ditolak" in refused.text  # no session: the signed-out page is Indonesian
