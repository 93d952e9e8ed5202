"""The report flow's glue: load the areas, run a step, submit, and handle old buttons."""

from __future__ import annotations

import logging
import uuid

from bot.cases.references import make_pin
from bot.casework.creation import submit_report
from handlers.base import ConversationState, Turn
from handlers.report import steps
from handlers.report.area_cache import AREA_INDEXES
from handlers.report.context import Ctx, copy_data
from handlers.report.labels import FLOW
from handlers.report.navigation import reprompt
from handlers.report.summary import confirmation_text

log = logging.getLogger(__name__)


async def build_ctx(turn: Turn) -> Ctx:
    areas = await AREA_INDEXES.get(turn.app.db, turn.session, turn.app.settings)
    return Ctx(t=turn.t, areas=areas, emergency_lines=turn.app.settings.emergency_lines())


async def start_report(turn: Turn) -> None:
    """Begin a new draft at the first question (is anyone in danger now?)."""
    ctx = await build_ctx(turn)
    out = steps.start(turn.state, ctx, key=uuid.uuid4().hex, pin=make_pin())
    turn.replies.extend(out.replies)


async def prompt_current(turn: Turn) -> None:
    """Ask the current question again (after /bahasa, /start, an old button)."""
    if turn.state.flow != FLOW:
        return
    ctx = await build_ctx(turn)
    turn.replies.extend(reprompt(turn.state, ctx).replies)


async def on_input(turn: Turn) -> None:
    await _run_step(turn)


async def on_option(turn: Turn) -> None:
    option = turn.inbound.option or ""
    if not steps.is_current(turn.state, option):
        turn.reply(turn.t("Tombol itu dari pesan sebelumnya dan sudah tidak berlaku."))
        await prompt_current(turn)
        return
    await _run_step(turn)


async def _run_step(turn: Turn) -> None:
    ctx = await build_ctx(turn)
    # The step works on a copy: if anything below fails, the stored draft is untouched.
    state = ConversationState(
        flow=turn.state.flow,
        step=turn.state.step,
        data=copy_data(turn.state.data),
        language=turn.state.language,
    )
    out = steps.handle(state, turn.inbound, ctx)
    if out.effect == "submit":
        await _submit(turn, state, ctx)
        return
    turn.state = state
    turn.replies.extend(out.replies)


async def _submit(turn: Turn, state: ConversationState, ctx: Ctx) -> None:
    inbound = turn.inbound
    case, pin = await submit_report(
        turn.session,
        state.data,
        channel=inbound.channel,
        reporter_user_id=inbound.user_id,
        chat_id=inbound.chat_id,
        submission_key=str(state.data["key"]),
        now=turn.now,
        settings=turn.app.settings,
        language=state.language,
    )
    log.info("report submitted", extra={"case": case.reference})
    state.reset()
    turn.state = state
    turn.reply(confirmation_text(case.reference, pin, case.priority == "darurat", ctx))
