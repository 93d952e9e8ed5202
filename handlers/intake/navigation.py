"""Moving between the intake's questions: next (skipping what does not apply), jump, ask again."""

from __future__ import annotations

from handlers.base import ConversationState
from handlers.intake.context import IntakeCtx
from handlers.intake.labels import SHORT_VERSION_SKIPS, STEPS
from handlers.intake.prompts import prompt
from handlers.report.context import Outcome

# While one answer is changed from the summary, these questions belong together.
_CHAIN = {"age": "sex", "teller": "how"}
SAW_IT = "kader_melihat"


def reprompt(state: ConversationState, ctx: IntakeCtx, out: Outcome | None = None) -> Outcome:
    out = out or Outcome()
    out.replies.append(prompt(str(state.step), state.data, ctx))
    return out


def unclear(state: ConversationState, ctx: IntakeCtx) -> Outcome:
    out = Outcome()
    out.say(ctx.t("Maaf, kami belum mengerti. Silakan pilih salah satu jawaban di bawah."))
    return reprompt(state, ctx, out)


def goto(
    state: ConversationState, step: str, ctx: IntakeCtx, out: Outcome | None = None
) -> Outcome:
    state.step = step
    if step == "summary":
        state.data.pop("editing", None)
    return reprompt(state, ctx, out)


def next_step(state: ConversationState, step: str, ctx: IntakeCtx) -> str:
    data = state.data
    index = STEPS.index(step) + 1
    while True:
        candidate = STEPS[index]
        skipped = (
            (data.get("danger") and candidate in SHORT_VERSION_SKIPS)
            or (candidate == "kelpick" and data.get("kel"))
            or (candidate == "how" and data.get("teller") == SAW_IT)
            or (candidate == "assign" and not ctx.coordinator)
        )
        if not skipped:
            return candidate
        index += 1


def advance(
    state: ConversationState, step: str, ctx: IntakeCtx, out: Outcome | None = None
) -> Outcome:
    if state.data.get("editing"):
        chained = _CHAIN.get(step)
        if chained is not None and next_step(state, step, ctx) == chained:
            return goto(state, chained, ctx, out)
        return goto(state, "summary", ctx, out)
    return goto(state, next_step(state, step, ctx), ctx, out)


def set_kelurahan(state: ConversationState, code: str, ctx: IntakeCtx) -> None:
    place = ctx.areas.get(code) if ctx.areas else None
    if place is not None:
        state.data["kel"], state.data["kec"] = place.code, place.parent
