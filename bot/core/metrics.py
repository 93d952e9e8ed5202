"""Prometheus metrics at `GET /metrics` (mounted by bot/runtime/http.py through `http_routes`).

Two kinds of numbers:

- Counters and a histogram that this process increments as things happen. Other modules call
  these small functions (cheap, thread-safe, never raise, never take personal data):

    metrics.update_handled(channel, outcome="ok")   # inbox processor, per inbox row handled
                                                    #   outcome: ok | retry | failed
                                                    #   | rejected | throttled
    metrics.observe_handler_latency(seconds, channel)  # inbox processor, time of dispatch+commit
    with metrics.time_handler(channel): ...         # the same, as a context manager
    metrics.outbox_sent(channel)                    # delivery worker, per message sent
    metrics.outbox_failed(channel, kind)            # delivery worker: kind = retry | permanent
                                                    #   | outside_window
    metrics.escalated(rule)                         # escalation sweep, per escalation made;
                                                    #   rule: accept | second_miss | update
                                                    #   | resolve | referral (a short code)
    metrics.case_created(channel, priority)         # report service, per new case
    metrics.inbound_refused(channel, what)          # the edge: a body or update refused
                                                    #   (too_large, malformed) or a part set aside
    metrics.status_lookup(outcome)                  # /status: found | not_found
                                                    #   | throttled_chat | throttled_reference

  Counters are per process and start at zero: with several `patbm run` instances, Prometheus
  sums them across the scraped targets (`sum(rate(...))`).

- Gauges computed from the database at scrape time (the same in every instance): cases by
  status, overdue open cases, open cases by escalation level, outbox queue depth and failed
  rows per channel, the age of the oldest pending outbox message, inbox rows pending, failed or
  rejected.
  If the database cannot be read, `patbm_database_up` is 0 and the counters are still served.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.core.app import App
from models import Case, CaseStatus, InboxUpdate, OutboxMessage
from models.case import OPEN_CASE

log = logging.getLogger(__name__)

REGISTRY = CollectorRegistry()

UPDATES_HANDLED = Counter(
    "patbm_updates_handled",
    "Inbound updates handled, by channel and outcome (ok, retry, failed).",
    ["channel", "outcome"],
    registry=REGISTRY,
)
HANDLER_LATENCY = Histogram(
    "patbm_handler_latency_seconds",
    "Time to handle one inbound update (dispatch and commit).",
    ["channel"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
    registry=REGISTRY,
)
OUTBOX_SENT = Counter(
    "patbm_outbox_sent", "Outbox messages delivered, by channel.", ["channel"], registry=REGISTRY
)
OUTBOX_FAILURES = Counter(
    "patbm_outbox_send_failures",
    "Failed send attempts, by channel and kind (retry, permanent, outside_window).",
    ["channel", "kind"],
    registry=REGISTRY,
)
ESCALATIONS = Counter(
    "patbm_escalations", "Escalations made by the sweep, by rule.", ["rule"], registry=REGISTRY
)
INBOUND_REFUSED = Counter(
    "patbm_inbound_refused",
    "Inbound input refused at the edge, by channel and what (too_large, malformed, part).",
    ["channel", "what"],
    registry=REGISTRY,
)
STATUS_LOOKUPS = Counter(
    "patbm_status_lookups",
    "Status look-ups, by outcome (found, not_found, throttled_chat, throttled_reference).",
    ["outcome"],
    registry=REGISTRY,
)
CASES_CREATED = Counter(
    "patbm_cases_created",
    "Cases created, by channel and priority.",
    ["channel", "priority"],
    registry=REGISTRY,
)


def update_handled(channel: str, outcome: str = "ok") -> None:
    UPDATES_HANDLED.labels(channel=channel, outcome=outcome).inc()


def status_lookup(outcome: str) -> None:
    STATUS_LOOKUPS.labels(outcome=outcome).inc()


def observe_handler_latency(seconds: float, channel: str = "") -> None:
    HANDLER_LATENCY.labels(channel=channel).observe(max(seconds, 0.0))


@contextmanager
def time_handler(channel: str = "") -> Iterator[None]:
    # A duration, not a moment: the monotonic clock is right here, not the injected Clock.
    started = time.perf_counter()
    try:
        yield
    finally:
        observe_handler_latency(time.perf_counter() - started, channel)


def outbox_sent(channel: str) -> None:
    OUTBOX_SENT.labels(channel=channel).inc()


def outbox_failed(channel: str, kind: str) -> None:
    OUTBOX_FAILURES.labels(channel=channel, kind=kind).inc()


def escalated(rule: str, count: int = 1) -> None:
    ESCALATIONS.labels(rule=rule).inc(count)


def case_created(channel: str, priority: str) -> None:
    CASES_CREATED.labels(channel=channel, priority=priority).inc()


def inbound_refused(channel: str, what: str, count: int = 1) -> None:
    INBOUND_REFUSED.labels(channel=channel, what=what).inc(count)


async def database_gauges(session: AsyncSession, now: datetime) -> list[Metric]:
    """Gauges read from the database: counts only, by indexed columns."""
    cases = GaugeMetricFamily("patbm_cases", "Cases by status.", labels=["status"])
    by_status = dict(
        (await session.execute(select(Case.status, func.count()).group_by(Case.status))).all()
    )
    for known in CaseStatus:
        cases.add_metric([known.value], by_status.get(known.value, 0))
    overdue = await session.scalar(select(func.count()).where(OPEN_CASE, Case.due_at <= now))
    overdue_gauge = GaugeMetricFamily(
        "patbm_cases_overdue", "Open cases whose deadline (due_at) has passed.", value=overdue or 0
    )
    levels = GaugeMetricFamily(
        "patbm_open_cases_by_escalation_level",
        "Open cases by escalation level (0 = never escalated).",
        labels=["level"],
    )
    for level, count in await session.execute(
        select(Case.escalation_level, func.count())
        .where(OPEN_CASE)
        .group_by(Case.escalation_level)
        .order_by(Case.escalation_level)
    ):
        levels.add_metric([str(level)], count)

    depth = GaugeMetricFamily(
        "patbm_outbox_queue_depth", "Outbox messages waiting to be sent.", labels=["channel"]
    )
    failed = GaugeMetricFamily(
        "patbm_outbox_failed", "Outbox messages given up on (status failed).", labels=["channel"]
    )
    for channel, row_status, count in await session.execute(
        select(OutboxMessage.channel, OutboxMessage.status, func.count())
        .where(OutboxMessage.status.in_(["pending", "failed"]))
        .group_by(OutboxMessage.channel, OutboxMessage.status)
    ):
        (depth if row_status == "pending" else failed).add_metric([channel], count)
    oldest = await session.scalar(
        select(func.min(OutboxMessage.next_attempt_at)).where(OutboxMessage.status == "pending")
    )
    oldest_gauge = GaugeMetricFamily(
        "patbm_outbox_oldest_due_seconds",
        "How long the most overdue pending outbox message has been due (0 when none).",
        value=max((now - oldest).total_seconds(), 0.0) if oldest else 0.0,
    )
    inbox = GaugeMetricFamily(
        "patbm_inbox_rows", "Inbox rows not yet done, by status.", labels=["channel", "status"]
    )
    for channel, inbox_status, count in await session.execute(
        select(InboxUpdate.channel, InboxUpdate.status, func.count())
        .where(InboxUpdate.status.in_(["pending", "failed", "rejected"]))
        .group_by(InboxUpdate.channel, InboxUpdate.status)
    ):
        inbox.add_metric([channel, inbox_status], count)
    return [cases, overdue_gauge, levels, depth, failed, oldest_gauge, inbox]


class _Snapshot(Collector):
    def __init__(self, metrics: Iterable[Metric]) -> None:
        self._metrics = list(metrics)

    def collect(self) -> Iterable[Metric]:
        return self._metrics


async def render(app: App) -> bytes:
    """The whole exposition: this process's counters, then the database gauges."""
    gauges: list[Metric] = []
    up = 1
    try:
        async with app.db.transaction() as session:
            gauges = await database_gauges(session, app.clock.now())
    except Exception:
        log.exception("metrics: the database gauges could not be read")
        up = 0
    gauges.append(GaugeMetricFamily("patbm_database_up", "1 if the database answered.", value=up))
    snapshot = CollectorRegistry()
    snapshot.register(_Snapshot(gauges))
    return generate_latest(REGISTRY) + generate_latest(snapshot)


async def metrics_endpoint(request: Request) -> Response:
    app: App = request.app.state.patbm
    return Response(await render(app), media_type=CONTENT_TYPE_LATEST)


def http_routes(app: App) -> list[BaseRoute]:
    return [Route("/metrics", metrics_endpoint, methods=["GET"])]
