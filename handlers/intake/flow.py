"""The intake's glue: the staff member's area and cadres, a step, the save, old buttons."""

from __future__ import annotations

import logging
import uuid

from bot.cases.buttons import CaseVerb, case_button
from bot.cases.references import make_pin
from bot.casework.intake import cadre_choices, may_record, record_case
from bot.core.i18n import N_
from bot.messaging.messages import Option
from handlers.base import ConversationState, Turn
from handlers.intake import steps
from handlers.intake.context import IntakeCtx
from handlers.intake.labels import FLOW, PREFIX
from handlers.intake.navigation import reprompt
from handlers.intake.summary import confirmation_text
from handlers.report import start_report
from handlers.report.area_cache import AREA_INDEXES
from handlers.report.context import copy_data
from models import Staff, StaffRole

log = logging.getLogger(__name__)
START_OPTION = f"{PREFIX}:start"
# A coordinator's choice of cadre: the one routing would pick is marked and comes first.
SUGGESTED_LABEL = N_("★ {name} · {n} kasus")
CADRE_LABEL = N_("{name} · {n} kasus")


async def build_ctx(turn: Turn, staff: Staff, state: ConversationState) -> IntakeCtx:
    areas = await AREA_INDEXES.get(turn.app.db, turn.session, turn.app.settings)
    coordinator = staff.role == StaffRole.KOORDINATOR
    own = None if coordinator else staff.area_code
    place = areas.get(own) if areas is not None and own else None
    ctx = IntakeCtx(
        t=turn.t,
        areas=areas,
        emergency_lines=turn.app.settings.emergency_lines(),
        own_kelurahan=place.code if place else None,
        kecamatan=staff.area_code if coordinator else (place.parent if place else None),
        coordinator=coordinator,
    )
    kelurahan = state.data.get("kel")
    if coordinator and kelurahan:
        for n, choice in enumerate(await cadre_choices(turn.session, str(kelurahan))):
            label = turn.t(
                SUGGESTED_LABEL if n == 0 else CADRE_LABEL,
                name=choice.staff.name,
                n=choice.open_cases,
            )
            ctx.cadres.append((choice.staff.id, label))
    return ctx


async def start_intake(turn: Turn) -> None:
    """A new staff draft at the first question (is anyone in danger now?)."""
    staff = turn.staff
    if staff is None or not may_record(staff):
        await start_report(turn)
        return
    if turn.identity.language is None and staff.language:
        turn.state.language = staff.language
    ctx = await build_ctx(turn, staff, turn.state)
    out = steps.start(turn.state, ctx, key=uuid.uuid4().hex, pin=make_pin())
    turn.replies.extend(out.replies)


async def prompt_current(turn: Turn) -> None:
    """Ask the current question again (after /bahasa, /start, an old button)."""
    if turn.state.flow != FLOW or turn.staff is None:
        return
    ctx = await build_ctx(turn, turn.staff, turn.state)
    turn.replies.extend(reprompt(turn.state, ctx).replies)


async def on_input(turn: Turn) -> None:
    await _run_step(turn)


async def on_option(turn: Turn) -> None:
    option = turn.inbound.option or ""
    if option == START_OPTION:
        if turn.state.flow == FLOW:
            await prompt_current(turn)
        else:
            await start_intake(turn)
        return
    if not steps.is_current(turn.state, option):
        turn.reply(turn.t("Tombol itu dari pesan sebelumnya dan sudah tidak berlaku."))
        await prompt_current(turn)
        return
    await _run_step(turn)


async def _run_step(turn: Turn) -> None:
    staff = turn.staff
    if staff is None or not may_record(staff):
        # Unlinked or deactivated since the draft began: nothing is recorded in their name.
        turn.state.reset()
        turn.reply(turn.t("Pencatatan kasus hanya untuk kader dan koordinator PATBM."))
        return
    # The step works on a copy: if anything below fails, the stored draft is untouched.
    state = ConversationState(
        flow=turn.state.flow,
        step=turn.state.step,
        data=copy_data(turn.state.data),
        language=turn.state.language,
    )
    ctx = await build_ctx(turn, staff, state)
    out = steps.handle(state, turn.inbound, ctx)
    if out.effect == "as_resident":
        turn.state = state
        await start_report(turn)
        return
    if out.effect == "submit":
        await _submit(turn, staff, state, ctx)
        return
    turn.state = state
    turn.replies.extend(out.replies)


async def _submit(turn: Turn, staff: Staff, state: ConversationState, ctx: IntakeCtx) -> None:
    inbound = turn.inbound
    chosen = state.data.get("assignee")
    assignee = await turn.session.get(Staff, int(chosen)) if chosen else None
    case, pin = await record_case(
        turn.session,
        state.data,
        staff,
        assignee=assignee,
        channel=inbound.channel,
        chat_id=inbound.chat_id,
        user_id=inbound.user_id,
        submission_key=str(state.data["key"]),
        now=turn.now,
        settings=turn.app.settings,
        language=state.language,
    )
    log.info("case recorded by staff", extra={"case": case.reference})
    held_by = None
    if case.assignee_id is not None and case.assignee_id != staff.id:
        holder = await turn.session.get(Staff, case.assignee_id)
        held_by = holder.name if holder else None
    state.reset()
    turn.state = state
    turn.reply(
        confirmation_text(
            case.reference, pin, darurat=case.priority == "darurat", held_by=held_by, ctx=ctx
        ),
        [Option(case_button(CaseVerb.SHOW, case.id), turn.t("Lihat kasus"))],
    )
