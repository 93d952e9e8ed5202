"""Morning digests: content per scope, cadre reminders, the weekly chart, no personal data."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.core.app import App
from bot.core.clock import FixedClock
from bot.messaging.messages import Reply
from bot.reporting.digest import digest_text_for, run_digests
from bot.reporting.digest_chart import render_chart
from models import Case, OutboxMessage, Staff
from tests.support.casework_fixtures import KEL_OTHER_KEC, World, build_world, report

WIB = ZoneInfo("Asia/Jakarta")
SECRET_DESCRIPTION = "Zubaidah dipukul pamannya Rustam di gudang belakang"
SECRET_LOCATION = "Jalan Kenanga Gang Melati nomor 17"
SECRET_REPORTER_CHAT = "77665544"


def wib(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=WIB).astimezone(UTC)


async def digest_rows(app: App) -> list[OutboxMessage]:
    async with app.db.transaction() as session:
        rows = await session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.kind.in_(["digest", "reminder", "digest_chart"]))
            .order_by(OutboxMessage.id)
        )
        return list(rows.all())


async def seed(app: App, clock: FixedClock) -> tuple[World, list[int]]:
    world = await build_world(app)
    clock.set(wib(2026, 11, 20, 10))  # Friday: older case
    old = await report(app, description=SECRET_DESCRIPTION)
    clock.set(wib(2026, 11, 22, 20))  # Sunday evening: new since yesterday
    new = await report(app, description=SECRET_DESCRIPTION, categories=["seksual", "psikis"])
    other = await report(app, kelurahan=KEL_OTHER_KEC, description=SECRET_DESCRIPTION)
    async with app.db.transaction() as session:
        for case in (await session.scalars(select(Case))).all():
            case.location_detail = SECRET_LOCATION
            case.reporter_contact = {
                "channel": "telegram",
                "chat_id": SECRET_REPORTER_CHAT,
                "user_id": SECRET_REPORTER_CHAT,
            }
    return world, [old, new, other]


async def test_digests_per_scope_without_personal_data(app: App, clock: FixedClock) -> None:
    world, (old, new, other) = await seed(app, clock)
    now = wib(2026, 11, 23, 7)  # Monday 07:00 WIB
    result = await run_digests(app, now)
    rows = await digest_rows(app)
    by_chat = {r.chat_id: r for r in rows if r.kind == "digest"}
    w = world
    coordinator = by_chat[w.chats[w.coordinator]].payload["text"]
    dinas = by_chat[w.chats[w.dinas]].payload["text"]
    async with app.db.transaction() as session:
        refs = {c.id: c.reference for c in (await session.scalars(select(Case))).all()}
    # The Telanaipura coordinator sees Telanaipura's cases only; the Dinas sees all.
    assert refs[old] in coordinator and refs[new] in coordinator and refs[other] not in coordinator
    assert all(refs[c] in dinas for c in (old, new, other))
    assert "Laporan baru sejak kemarin: 1" in coordinator
    assert "Laporan baru sejak kemarin: 2" in dinas
    assert "Simpang IV Sipin" in coordinator and "Ani Kader" in coordinator
    assert "Belum diterima: 2" in coordinator
    # The other kecamatan's coordinator gets their own.
    assert refs[other] in by_chat[w.chats[w.other_coordinator]].payload["text"]
    # Cadres with open cases get a reminder of theirs.
    reminders = {r.chat_id: r.payload["text"] for r in rows if r.kind == "reminder"}
    assert refs[old] in reminders[w.chats[w.kader_a]] or refs[old] in reminders.get(
        w.chats[w.kader_b], ""
    )
    assert result.digests == 3 and result.reminders >= 1
    # Nothing personal anywhere in any digest payload.
    for row in rows:
        blob = str(row.payload)
        for secret in (
            SECRET_DESCRIPTION,
            "Zubaidah",
            "Rustam",
            SECRET_LOCATION,
            "Kenanga",
            SECRET_REPORTER_CHAT,
            "6-12",
        ):
            assert secret not in blob, (row.kind, secret)


async def test_digests_are_once_a_day(app: App, clock: FixedClock) -> None:
    await seed(app, clock)
    now = wib(2026, 11, 23, 7)
    await run_digests(app, now)
    count = len(await digest_rows(app))
    again = await run_digests(app, now + timedelta(hours=3))
    assert again.digests == 0 and again.reminders == 0
    assert len(await digest_rows(app)) == count
    # The next morning: new ones.
    tomorrow = await run_digests(app, now + timedelta(days=1))
    assert tomorrow.digests == 3


async def test_day_is_the_local_day(app: App, clock: FixedClock) -> None:
    await seed(app, clock)
    # 23:30 UTC on Sunday is already Monday 06:30 in WIB, and 08:30 WIT (Asia/Jayapura).
    app.settings.timezone = "Asia/Jayapura"
    await run_digests(app, datetime(2026, 11, 22, 23, 30, tzinfo=UTC))
    keys = [r.dedupe_key or "" for r in await digest_rows(app)]
    assert keys and all(":2026-11-23:" in key for key in keys)


async def test_weekly_chart_goes_to_the_dinas_on_the_chart_day(app: App, clock: FixedClock) -> None:
    world, _ = await seed(app, clock)
    w = world
    result = await run_digests(app, wib(2026, 11, 23, 7))  # Monday = chart day
    assert result.charts == 1
    charts = [r for r in await digest_rows(app) if r.kind == "digest_chart"]
    assert [r.chat_id for r in charts] == [w.chats[w.dinas]]
    reply = Reply.from_json(charts[0].payload)
    assert reply.media is not None and reply.media.kind == "photo"
    png = reply.media.content()
    assert png is not None and png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 5000
    assert "3" in reply.text
    # Tuesday: digests, no chart.
    assert (await run_digests(app, wib(2026, 11, 24, 7))).charts == 0


def test_chart_renders_without_a_display() -> None:
    png = render_chart([("Telanaipura", 3), ("Kota Baru", 0)], [("fisik", 2)], ("a", "b"))
    assert png[:4] == b"\x89PNG"
    assert base64.b64encode(png)


async def test_digest_text_for_each_role(app: App, clock: FixedClock) -> None:
    world, _ = await seed(app, clock)
    w = world
    now = wib(2026, 11, 23, 7)
    async with app.db.transaction() as session:
        coordinator = await session.get(Staff, w.coordinator)
        kader_c = await session.get(Staff, w.kader_c)
        assert coordinator is not None and kader_c is not None
        coordinator.language = "en"
        text = await digest_text_for(session, coordinator, now, app.settings)
        assert text.startswith("Daily summary") or text.startswith("Ringkasan")
        assert "Telanaipura" in text
        idle = await digest_text_for(session, kader_c, now, app.settings)
        assert "Tidak ada kasus terbuka" in idle
