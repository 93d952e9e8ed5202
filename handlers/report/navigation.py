"""Moving between the questions: next, jump, ask again, and the kind re-ask."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from bot.messaging.messages import REASK
from handlers.base import ConversationState
from handlers.report.context import Ctx, Outcome
from handlers.report.labels import LEGACY_STEPS, SHORT_VERSION_SKIPS, STEPS
from handlers.report.prompts import prompt


def reprompt(state: ConversationState, ctx: Ctx, out: Outcome | None = None) -> Outcome:
    out = out or Outcome()
    if state.step in LEGACY_STEPS:  # a draft stored by an older version
        state.step = LEGACY_STEPS[state.step]
    out.replies.append(prompt(str(state.step), state.data, ctx))
    return out


def unclear(state: ConversationState, text: str, ctx: Ctx) -> Outcome:
    out = Outcome()
    if state.step in {"loc", "desc"}:
        out.say(ctx.t("Mohon tulis dengan kata-kata, atau tekan “Lewati”."))
    else:
        out.say(ctx.t("Maaf, kami belum mengerti. Silakan pilih salah satu jawaban di bawah."))
    reprompt(state, ctx, out)
    # Marked, so that a burst of unclear answers leaves one re-ask queued, not one each.
    asked = out.replies[-1]
    out.replies[-1] = replace(asked, extra={**asked.extra, REASK: True})
    return out


def next_step(data: dict[str, Any], step: str) -> str:
    index = STEPS.index(step) + 1
    while data.get("danger") and STEPS[index] in SHORT_VERSION_SKIPS:
        index += 1
    return STEPS[index]


def advance(state: ConversationState, step: str, ctx: Ctx, out: Outcome | None = None) -> Outcome:
    data = state.data
    if data.get("editing") and step not in {"kec", "age"}:
        data.pop("editing", None)
        target = "summary"
    else:
        target = next_step(data, step)
    return goto(state, target, ctx, out)


def goto(state: ConversationState, step: str, ctx: Ctx, out: Outcome | None = None) -> Outcome:
    state.step = step
    state.data.pop("page", None)
    if step == "summary":
        state.data.pop("editing", None)
    return reprompt(state, ctx, out)
