"""The evidence fetch job: pending files are downloaded and stored, retried, never twice.

`fetch_due(app, fetchers)` claims due rows (one short transaction), downloads each outside any
transaction, and records each outcome in its own transaction (bot/evidence/store.py). Inside
`patbm run` an `EvidenceWorker` runs it whenever a commit queued evidence (the kick, right
after a report is submitted) and every `POLL_SECONDS` (retries, rows another instance left);
`patbm jobs run evidence` runs it once. Any number of instances may run it at once: the claim
leases rows (`FOR UPDATE SKIP LOCKED` on PostgreSQL) and an outcome is written only by the
attempt that holds the lease.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from bot.core.app import App
from bot.evidence import store as evidence_store
from bot.evidence.fetch import TIMEOUT, Fetcher, FetchFailed, TooLarge, build_fetchers

log = logging.getLogger(__name__)

POLL_SECONDS = 30.0
KICK_RETRIES = 5
KICK_RETRY_SECONDS = 0.5
BATCH = 5


@dataclass
class FetchResult:
    stored: int = 0
    retried: int = 0
    failed: int = 0
    refused: int = 0

    @property
    def handled(self) -> int:
        return self.stored + self.retried + self.failed + self.refused


async def _one(app: App, fetcher: Fetcher, claimed: evidence_store.Claimed) -> str:
    try:
        fetched = await fetcher.fetch(claimed.file_ref)
    except TooLarge as exc:
        async with app.db.transaction() as session:
            await evidence_store.record_refused(session, claimed, exc.size, app.clock.now())
        log.info("evidence %s of case %s refused: too large", claimed.id, claimed.case_id)
        return "refused"
    except (FetchFailed, Exception) as exc:
        reason = str(exc) if isinstance(exc, FetchFailed) else type(exc).__name__
        if not isinstance(exc, FetchFailed):
            log.exception("evidence %s: unexpected error while fetching", claimed.id)
        async with app.db.transaction() as session:
            gave_up = await evidence_store.record_retry(
                session, claimed, reason, app.clock.now(), app.settings.evidence_fetch_attempts
            )
        log.info("evidence %s of case %s: %s (%s)", claimed.id, claimed.case_id, reason, gave_up)
        return "failed" if gave_up else "retried"
    async with app.db.transaction() as session:
        await evidence_store.record_stored(
            session, claimed, fetched.content, fetched.mime_type, app.clock.now()
        )
    log.info("evidence %s of case %s stored", claimed.id, claimed.case_id)
    return "stored"


async def fetch_due(
    app: App, fetchers: Mapping[str, Fetcher], *, max_rounds: int = 100
) -> FetchResult:
    """Fetch every file that is due now, batch after batch."""
    result = FetchResult()
    for _ in range(max_rounds):
        async with app.db.transaction() as session:
            batch = await evidence_store.claim_due(
                session, app.clock.now(), set(fetchers), BATCH, postgres=app.db.is_postgres
            )
        if not batch:
            break
        outcomes = await asyncio.gather(
            *(_one(app, fetchers[claimed.channel], claimed) for claimed in batch)
        )
        for outcome in outcomes:
            setattr(result, outcome, getattr(result, outcome) + 1)
    return result


async def fetch_evidence_once(app: App) -> FetchResult:
    """`patbm jobs run evidence`: every due file, with fetchers for the configured channels."""
    async with httpx.AsyncClient(timeout=TIMEOUT) as http:
        return await fetch_due(app, build_fetchers(app.settings, http))


class EvidenceWorker:
    def __init__(self, app: App, fetchers: Mapping[str, Fetcher]) -> None:
        self.app = app
        self.fetchers = dict(fetchers)
        self._wake = asyncio.Event()
        self._stopping = False

    def kick(self) -> None:
        self._wake.set()

    def after_commit(self, info: Mapping[str, Any]) -> None:
        """A commit hook of the Database (wired by bot/runtime/runner.py): a commit that queued
        evidence wakes the worker at once."""
        if evidence_store.queued_in(info):
            self.kick()

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()

    async def run(self) -> None:
        log.info("evidence: fetching from %s", ", ".join(sorted(self.fetchers)))
        kicked, retries = True, 0
        while not self._stopping:
            self._wake.clear()
            try:
                result = await fetch_due(self.app, self.fetchers)
                log.debug("evidence fetch: %s", result)
                if kicked and result.handled == 0:
                    # A kick can arrive before its rows are visible to our claim (seen
                    # on PostgreSQL): look again shortly, a few times, before the poll.
                    retries = KICK_RETRIES
            except Exception:
                log.exception("evidence fetch failed; trying again shortly")
            wait = KICK_RETRY_SECONDS if retries > 0 else POLL_SECONDS
            retries -= 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), wait)
            kicked = self._wake.is_set()
