"""`GET /metrics`: process counters plus gauges read from the database at scrape time."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from starlette.applications import Starlette

from bot.core import metrics
from bot.core.app import App
from bot.core.db import Database
from bot.messaging.messages import Reply
from bot.messaging.outbox import enqueue
from models import InboxUpdate
from tests.support.reporting_seed import seed


def _samples(body: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    for family in text_string_to_metric_families(body):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


async def _scrape(
    app: App,
) -> tuple[httpx.Response, dict[tuple[str, tuple[tuple[str, str], ...]], float]]:
    http_app = Starlette(routes=metrics.http_routes(app))
    http_app.state.patbm = app
    transport = httpx.ASGITransport(app=http_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://patbm") as client:
        response = await client.get("/metrics")
    return response, _samples(response.text)


def _counter(name: str, **labels: str) -> float:
    return metrics.REGISTRY.get_sample_value(name, labels) or 0.0


async def test_gauges_from_the_database(app: App) -> None:
    now = app.clock.now()
    async with app.db.transaction() as session:
        seeded = await seed(session, now)
        # An overdue open case, a queue of two, one failed message, one pending inbox row.
        seeded.cases["new_last_month"].due_at = now - timedelta(hours=1)
        for chat in ("1", "2"):
            enqueue(
                session,
                channel="telegram",
                chat_id=chat,
                reply=Reply(text="x"),
                now=now - timedelta(minutes=5),
            )
        failed = enqueue(session, channel="whatsapp", chat_id="3", reply=Reply(text="x"), now=now)
        failed.status = "failed"
        session.add(
            InboxUpdate(
                channel="telegram",
                update_key="900",
                chat_key="telegram:9",
                payload={"update_id": 900},
                status="pending",
                attempts=0,
                received_at=now,
            )
        )
    response, samples = await _scrape(app)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert samples[("patbm_cases", (("status", "ditutup"),))] == 3
    assert samples[("patbm_cases", (("status", "diterima"),))] == 1
    assert samples[("patbm_cases", (("status", "baru"),))] == 1
    assert samples[("patbm_cases", (("status", "dirujuk"),))] == 0
    assert samples[("patbm_cases_overdue", ())] == 1
    assert samples[("patbm_open_cases_by_escalation_level", (("level", "1"),))] == 1
    assert samples[("patbm_open_cases_by_escalation_level", (("level", "0"),))] == 1
    # The seed queued three messages earlier, all still pending.
    assert samples[("patbm_outbox_queue_depth", (("channel", "telegram"),))] == 5
    assert samples[("patbm_outbox_failed", (("channel", "whatsapp"),))] == 1
    assert samples[("patbm_outbox_oldest_due_seconds", ())] > 0
    assert samples[("patbm_inbox_rows", (("channel", "telegram"), ("status", "pending")))] == 1
    assert samples[("patbm_database_up", ())] == 1


async def test_counters_that_other_modules_increment(app: App) -> None:
    handled = _counter("patbm_updates_handled_total", channel="telegram", outcome="ok")
    sent = _counter("patbm_outbox_sent_total", channel="whatsapp")
    retry = _counter("patbm_outbox_send_failures_total", channel="telegram", kind="retry")
    escalations = _counter("patbm_escalations_total", rule="accept")
    created = _counter("patbm_cases_created_total", channel="telegram", priority="darurat")
    latency = _counter("patbm_handler_latency_seconds_count", channel="telegram")

    metrics.update_handled("telegram")
    metrics.update_handled("telegram", "ok")
    metrics.outbox_sent("whatsapp")
    metrics.outbox_failed("telegram", "retry")
    metrics.escalated("accept")
    metrics.case_created("telegram", "darurat")
    metrics.observe_handler_latency(0.02, "telegram")
    with metrics.time_handler("telegram"):
        pass

    _, samples = await _scrape(app)
    assert (
        samples[("patbm_updates_handled_total", (("channel", "telegram"), ("outcome", "ok")))]
        == handled + 2
    )
    assert samples[("patbm_outbox_sent_total", (("channel", "whatsapp"),))] == sent + 1
    assert (
        samples[("patbm_outbox_send_failures_total", (("channel", "telegram"), ("kind", "retry")))]
        == retry + 1
    )
    assert samples[("patbm_escalations_total", (("rule", "accept"),))] == escalations + 1
    assert (
        samples[("patbm_cases_created_total", (("channel", "telegram"), ("priority", "darurat")))]
        == created + 1
    )
    assert (
        samples[("patbm_handler_latency_seconds_count", (("channel", "telegram"),))] == latency + 2
    )
    assert (
        samples[
            ("patbm_handler_latency_seconds_bucket", (("channel", "telegram"), ("le", "0.025")))
        ]
        >= 2
    )


async def test_database_down_still_serves_counters(
    app: App, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    broken = Database(f"sqlite+aiosqlite:///{tmp_path / 'no' / 'such' / 'dir.db'}")
    down = App(settings=app.settings, db=broken, clock=app.clock, keyring=app.keyring)
    try:
        response, samples = await _scrape(down)
    finally:
        await broken.dispose()
    assert response.status_code == 200
    assert samples[("patbm_database_up", ())] == 0
    assert ("patbm_cases", (("status", "baru"),)) not in samples
    assert "metrics: the database gauges could not be read" in caplog.text


async def test_http_server_mounts_metrics(app: App) -> None:
    from bot.runtime.http import build_http_app

    transport = httpx.ASGITransport(app=build_http_app(app))
    async with httpx.AsyncClient(transport=transport, base_url="http://patbm") as client:
        response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    samples = _samples(response.text)
    assert samples[("patbm_database_up", ())] == 1  # the gauges were read from the database
    assert ("patbm_cases", (("status", "baru"),)) in samples
