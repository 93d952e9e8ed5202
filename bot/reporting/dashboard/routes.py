"""The dashboard's routes under `/dashboard` (mounted by bot/runtime/http.py's ROUTE_MODULES).

GET  /dashboard/login?t=…  a button that signs in (the link is not used up by a link preview)
POST /dashboard/login      redeems the one-time link, sets the session cookie, goes to the page
GET  /dashboard            the figures of a month (`?bulan=YYYY-MM`) or days (`?dari=&sampai=`)
GET  /dashboard/ekspor.csv, /dashboard/ekspor.xlsx   the SIMFONI-PPA export of that period
POST /dashboard/logout     ends the sessions (CSRF token required)

Every refusal is a plain 403 page and an access event. Pages are never cached or framed.
"""

from __future__ import annotations

from html import escape
from urllib.parse import parse_qs, urlencode, urlsplit

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from bot.admin.audit import record_access
from bot.cases import vocabulary
from bot.casework.followup import followup_counts
from bot.core.app import App
from bot.core.crypto import KeyRing, get_keyring
from bot.core.i18n import Translator
from bot.reporting.dashboard import templates
from bot.reporting.dashboard.access import Refused, Viewer, refusal_for, viewer_from_cookie
from bot.reporting.dashboard.cookies import COOKIE, cookie_options, csrf_ok, csrf_token, sign
from bot.reporting.dashboard.downloads import build_export
from bot.reporting.dashboard.queries import open_cases
from bot.reporting.dashboard.tokens import check_link, end_sessions, redeem_link
from bot.reporting.facts import (
    Period,
    PeriodError,
    day_period,
    month_period,
    parse_date,
    this_month,
)
from bot.reporting.stats import gather_stats
from models import Staff

VIA = "dashboard"
HEADERS = {
    "Cache-Control": "no-store",
    # Same-origin: the one-time token in the URL never leaves, and form posts keep their Origin.
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; "
        "frame-ancestors 'none'"
    ),
}


def _app(request: Request) -> App:
    app: App = request.app.state.patbm
    return app


def _keyring(app: App) -> KeyRing:
    return app.keyring or get_keyring()


def _html(body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(body, status_code=status, headers=HEADERS)


def _refuse(
    session: AsyncSession, app: App, reason: str, staff_id: int | None, language: str = "id"
) -> HTMLResponse:
    record_access(
        session,
        "dashboard_refused",
        app.clock.now(),
        via=VIA,
        staff_id=staff_id,
        data={"reason": reason},
    )
    return _html(templates.refusal_page(Translator(language)), 403)


def _period(request: Request, app: App) -> tuple[Period, str, str]:
    """The period asked for, the query string that repeats it, and the month shown in the form."""
    zone = app.settings.zone
    params = request.query_params
    first, last = params.get("dari"), params.get("sampai")
    if first or last:
        period = day_period(
            parse_date(first) if first else None, parse_date(last) if last else None, zone
        )
        query = urlencode({k: v for k, v in (("dari", first), ("sampai", last)) if v})
        return period, query, ""
    month = params.get("bulan") or this_month(app.clock.now(), zone)
    return month_period(month, zone), urlencode({"bulan": month}), month


async def login_form(request: Request) -> Response:
    app = _app(request)
    token = request.query_params.get("t", "")
    async with app.db.transaction() as session:
        checked = await check_link(session, token, app.clock.now())
        if checked.reason is not None:
            staff_id = checked.link.staff_id if checked.link else None
            return _refuse(session, app, checked.reason, staff_id)
        staff = await session.get(Staff, checked.link.staff_id) if checked.link else None
    language = staff.language if staff else "id"
    return _html(templates.login_page(Translator(language), token))


def _same_origin(request: Request, app: App) -> bool:
    """A form posted from another site is refused (besides SameSite=Strict and the CSRF
    token): its Origin, when the browser sends one, must be this server's."""
    origin = request.headers.get("origin")
    if origin is None:
        return True
    host = urlsplit(origin).netloc
    return host in (request.headers.get("host"), urlsplit(app.settings.public_base_url).netloc)


async def _form(request: Request) -> dict[str, str]:
    # Forms are urlencoded and tiny; parsed here so no multipart library is needed.
    fields = parse_qs((await request.body()).decode("utf-8", "replace"))
    return {key: values[0] for key, values in fields.items() if values}


async def login(request: Request) -> Response:
    app = _app(request)
    token = (await _form(request)).get("t", "")
    now = app.clock.now()
    async with app.db.transaction() as session:
        if not _same_origin(request, app):
            return _refuse(session, app, "cross_origin", None)
        checked = await check_link(session, token, now)
        link = checked.link
        if checked.reason is not None or link is None:
            staff_id = link.staff_id if link else None
            return _refuse(session, app, checked.reason or "unknown_link", staff_id)
        staff = await session.get(Staff, link.staff_id)
        reason = refusal_for(staff)
        if reason is not None:
            return _refuse(session, app, reason, link.staff_id)
        try:
            session_token = await redeem_link(session, link, now, app.settings)
        except LookupError:
            return _refuse(session, app, "reused_link", link.staff_id)
        record_access(session, "dashboard_signed_in", now, via=VIA, staff_id=link.staff_id)
    response = RedirectResponse("/dashboard", status_code=303, headers=HEADERS)
    response.set_cookie(value=sign(_keyring(app), session_token), **cookie_options(app.settings))  # type: ignore[arg-type]
    return response


async def _viewer(session: AsyncSession, request: Request, app: App) -> Viewer | Refused:
    return await viewer_from_cookie(
        session, _keyring(app), request.cookies.get(COOKIE), app.clock.now()
    )


async def main_page(request: Request) -> Response:
    app = _app(request)
    now = app.clock.now()
    async with app.db.transaction() as session:
        viewer = await _viewer(session, request, app)
        if isinstance(viewer, Refused):
            return _refuse(session, app, viewer.reason, viewer.staff_id, viewer.language)
        t = Translator(viewer.language)
        try:
            period, query, month = _period(request, app)
        except PeriodError:
            return _html(
                templates.page(t, "400", f"<p>{escape(t('Periode tidak dapat dibaca.'))}</p>"), 400
            )
        zone = app.settings.zone
        scope = viewer.kecamatan_code
        stats = await gather_stats(
            session,
            period,
            now=now,
            describe=period.describe(zone),
            kecamatan_code=scope,
            language=viewer.language,
        )
        cases = await open_cases(session, period, now, scope)
        followups = await followup_counts(
            session, start=period.start, end=period.end, kecamatan_code=scope
        )
        staff = viewer.staff
        who = f"{staff.name} ({vocabulary.STAFF_ROLES.label(t, staff.role)})"
        body = templates.main_page(
            t,
            who=who,
            stats=stats,
            cases=cases,
            followups=followups,
            query=query,
            month=month,
            csrf=csrf_token(_keyring(app), viewer.session_token),
        )
    return _html(body)


async def download(request: Request) -> Response:
    app = _app(request)
    fmt = request.path_params["fmt"]
    if fmt not in ("csv", "xlsx"):
        return Response(status_code=404, headers=HEADERS)
    async with app.db.transaction() as session:
        viewer = await _viewer(session, request, app)
        if isinstance(viewer, Refused):
            return _refuse(session, app, viewer.reason, viewer.staff_id, viewer.language)
        try:
            period, query, _ = _period(request, app)
        except PeriodError:
            return Response("bad period", status_code=400, headers=HEADERS)
        scope = viewer.kecamatan_code
        export = await build_export(session, period, app.settings.zone, fmt, kecamatan_code=scope)
        record_access(
            session,
            "dashboard_export",
            app.clock.now(),
            via=VIA,
            staff_id=viewer.staff.id,
            data={"format": fmt, "period": query, "kecamatan": scope, "cases": export.cases},
        )
    headers = {**HEADERS, "Content-Disposition": f'attachment; filename="{export.filename}"'}
    return Response(export.content, media_type=export.mime_type, headers=headers)


async def logout(request: Request) -> Response:
    app = _app(request)
    given = (await _form(request)).get("csrf")
    now = app.clock.now()
    async with app.db.transaction() as session:
        viewer = await _viewer(session, request, app)
        if isinstance(viewer, Refused):
            return _refuse(session, app, viewer.reason, viewer.staff_id, viewer.language)
        if not _same_origin(request, app) or not csrf_ok(
            _keyring(app), viewer.session_token, given
        ):
            return _refuse(session, app, "csrf", viewer.staff.id, viewer.language)
        await end_sessions(session, viewer.staff.id, now)
        record_access(session, "dashboard_signed_out", now, via=VIA, staff_id=viewer.staff.id)
        t = Translator(viewer.language)
    response = _html(
        templates.page(t, t("Keluar"), f"<p>{escape(t('Anda sudah keluar dari dasbor.'))}</p>")
    )
    response.delete_cookie(COOKIE, path="/dashboard")
    return response


def http_routes(app: App) -> list[BaseRoute]:
    return [
        Route("/dashboard", main_page, methods=["GET"]),
        Route("/dashboard/login", login_form, methods=["GET"]),
        Route("/dashboard/login", login, methods=["POST"]),
        Route("/dashboard/logout", logout, methods=["POST"]),
        Route("/dashboard/ekspor.{fmt:str}", download, methods=["GET"]),
    ]
