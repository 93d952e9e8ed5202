"""`patbm jobs run escalation|digest|outbox|cleanup|evidence|followup [--at ISO-TIME]`: one scheduled job, now.

`--at` runs the job as of that instant (a fixed clock): `2026-12-07T09:00` is read in the
deployment's zone, `2026-12-07T02:00Z` or `...+07:00` as given. Deadlines are evaluated as of
that instant, but the messages the job queues are created and due at the real time
(bot/messaging/outbox.py `queue_at`): an operator catching up a sweep delivers at once, and a running
bot sends them now. `outbox` works at the real time whatever `--at` says: leases, outcomes and
what is due are real instants. The jobs are idempotent, so
running one that the scheduler also runs does no harm. Exit status 0 on success, 1 when the job
failed (or, for `outbox`, when a message failed for good or could not be recorded), 2 for a
bad argument.
"""

from __future__ import annotations

import argparse
import logging
import sys
from datetime import datetime
from typing import Any

from bot.core.app import App, build_app
from bot.core.clock import FixedClock, as_utc
from bot.messaging.outbox import queue_at
from bot.messaging.sending import Sender

log = logging.getLogger(__name__)

JOB_NAMES = ("escalation", "digest", "outbox", "cleanup", "evidence", "followup")


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser("jobs", help="scheduled jobs")
    jobs_sub = parser.add_subparsers(dest="jobs_command", required=True)
    run = jobs_sub.add_parser("run", help="run one scheduled job now (or as of --at)")
    run.add_argument("job", choices=JOB_NAMES)
    run.add_argument(
        "--at", metavar="ISO-TIME", help="as of this instant, e.g. 2026-12-07T09:00 (local)"
    )
    run.set_defaults(func=_run)


def parse_at(text: str, app: App) -> datetime:
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=app.settings.zone)
    return as_utc(value)


async def build_senders(app: App) -> dict[str, Sender]:
    """The configured channels' senders, as `patbm run` builds them."""
    senders: dict[str, Sender] = {}
    if app.settings.telegram_enabled:
        from bot.channels.telegram.sender import TelegramSender, build_bot

        bot = build_bot(app.settings)
        await bot.initialize()
        senders["telegram"] = TelegramSender(bot)
    if app.settings.whatsapp_enabled:
        from bot.channels.whatsapp import channel as whatsapp

        sender: Sender = whatsapp.setup(app)
        senders[sender.channel] = sender
    return senders


async def _close_senders(senders: dict[str, Sender]) -> None:
    for sender in senders.values():
        bot = getattr(sender, "bot", None)
        shutdown = getattr(bot, "shutdown", None)
        if shutdown is not None:
            try:
                await shutdown()
            except Exception:
                log.debug("closing the %s sender failed", sender.channel)


async def run_job_command(app: App, job: str, at: str | None) -> int:
    from bot.runtime.scheduler import run_job

    real_clock = app.clock
    if at is not None:
        try:
            as_of = FixedClock(parse_at(at, app))
        except ValueError:
            print(f"patbm jobs run: --at {at!r} is not an ISO time", file=sys.stderr)
            return 2
        if job != "outbox":
            app.clock = as_of
    now = app.clock.now()
    senders: dict[str, Sender] | None = None
    try:
        if job == "outbox":
            senders = await build_senders(app)
            if not senders:
                print("patbm jobs run outbox: no channel is configured", file=sys.stderr)
                return 1
        with queue_at(real_clock):
            result = await run_job(app, job, now, senders=senders)
    except Exception as exc:
        log.exception("job %s failed", job)
        print(f"patbm jobs run {job}: failed: {type(exc).__name__}", file=sys.stderr)
        return 1
    finally:
        if senders:
            await _close_senders(senders)
    print(f"{job} as of {now.isoformat()}: {result}")
    from bot.escalation.per_case import SweepResult
    from bot.messaging.delivery import DeliveryResult

    if isinstance(result, DeliveryResult) and (result.failed or result.errors):
        return 1
    if isinstance(result, SweepResult) and result.errors:
        return 1
    return 0


def _run(args: argparse.Namespace) -> int:
    import asyncio

    async def main() -> int:
        app = build_app()
        try:
            return await run_job_command(app, args.job, args.at)
        finally:
            await app.close()

    return asyncio.run(main())
