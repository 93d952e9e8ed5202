"""The resident's report flow as plain functions: (state, inbound, ctx) -> replies and an effect.

No database and no platform here: the caller (handlers/report/flow.py) loads the areas, runs
the effect ("submit") and stores the state. Every wrong input leaves the step where it was.
"""

from __future__ import annotations

import re

from bot.messaging.messages import Inbound
from handlers.base import ConversationState
from handlers.report.area_steps import area_choice, typed_area
from handlers.report.context import Ctx, Outcome, has_words, parse_option, simplify
from handlers.report.labels import (
    CATEGORIES,
    DONE,
    EDITABLE,
    FLOW,
    LEGACY_STEPS,
    MAX_DESCRIPTION,
    MAX_LOCATION_DETAIL,
    OPTIONAL_STEPS,
    SKIP,
    STEPS,
    SUMMARY_SHORTCUT_STEPS,
    TO_SUMMARY,
)
from handlers.report.matching import match_typed, plain_number
from handlers.report.media import media_step
from handlers.report.navigation import advance, goto, reprompt, unclear
from handlers.report.prompts import emergency_text, options_for, prompt
from handlers.report.validity import CHOICES, missing_for_submit

_AGE_BOUNDS = ((5, "0-5"), (12, "6-12"), (17, "13-17"), (24, "18-24"), (44, "25-44"), (59, "45-59"))


def start(state: ConversationState, ctx: Ctx, *, key: str, pin: str) -> Outcome:
    """A new draft; the submission key and PIN are made now so a second send is the same case."""
    state.flow, state.step = FLOW, "danger"
    state.data = {"key": key, "pin": pin}
    out = Outcome()
    out.replies.append(prompt("danger", state.data, ctx))
    return out


def is_current(state: ConversationState, option: str) -> bool:
    """Whether a pressed button belongs to the question the user is at now."""
    parsed = parse_option(option)
    return state.flow == FLOW and parsed is not None and parsed[0] == state.step


def handle(state: ConversationState, inbound: Inbound, ctx: Ctx) -> Outcome:
    if state.step in LEGACY_STEPS:
        state.step = LEGACY_STEPS[state.step]
    if state.step not in (*STEPS, "edit"):
        state.step = "danger"
        return reprompt(state, ctx)
    if inbound.media is not None:
        return media_step(state, inbound, ctx)
    if inbound.location is not None:
        return _location(state, inbound, ctx)
    if inbound.contact is not None:
        out = Outcome()
        out.say(ctx.t("Kontak tidak diperlukan untuk laporan ini dan tidak kami simpan."))
        return reprompt(state, ctx, out)
    step = str(state.step)
    if inbound.option is not None:
        parsed = parse_option(inbound.option)
        value = parsed[1] if parsed else ""
        return _choose(state, step, value, ctx)
    text = (inbound.text or "").strip()
    if step in {"kec", "kel"}:
        return typed_area(state, step, text, ctx)
    if step == "loc" and has_words(text):
        return _location_detail(state, text, ctx)
    if step == "desc" and has_words(text):
        return _description(state, text, ctx)
    if step == "cat":
        picked = typed_categories(text)
        if picked:
            chosen = set(state.data.get("cat") or []) | picked
            state.data["cat"] = [c for c in CATEGORIES if c in chosen]
            return reprompt(state, ctx)
    years = plain_number(text) if step == "age" else None
    if years is not None:
        # On the age question a plain number is the age in years, as a person means it.
        group = age_group(years)
        return _choose(state, step, group, ctx) if group else unclear(state, text, ctx)
    typed = match_typed(step, text, options_for(step, state.data, ctx)) if text else None
    if typed is None:
        return unclear(state, text, ctx)
    return _choose(state, step, typed, ctx)


def _choose(state: ConversationState, step: str, value: str, ctx: Ctx) -> Outcome:
    data = state.data
    if value == TO_SUMMARY and step in SUMMARY_SHORTCUT_STEPS:
        return goto(state, "summary", ctx)
    if value == SKIP and step in OPTIONAL_STEPS:
        if step != "loc":
            data[step] = None
        return advance(state, step, ctx)
    if step in CHOICES and value in CHOICES[step]:
        out = Outcome()
        if step == "danger":
            data["danger"] = value == "y"
            if data["danger"]:
                out.say(emergency_text(ctx))
        else:
            data[step] = value
        return advance(state, step, ctx, out)
    if step == "cat":
        return _category(state, value, ctx)
    if step in {"kec", "kel"}:
        return area_choice(state, step, value, ctx)
    if step == "desc" and value == DONE:
        return advance(state, step, ctx)
    if step == "summary":
        return _summary_action(state, value, ctx)
    if step == "edit":
        return _edit_choice(state, value, ctx)
    return unclear(state, value, ctx)


def _category(state: ConversationState, value: str, ctx: Ctx) -> Outcome:
    chosen = list(state.data.get("cat") or [])
    if value == DONE:
        if not chosen:
            out = Outcome()
            out.say(ctx.t("Pilih minimal satu bentuk kekerasan (atau “Lainnya”)."))
            return reprompt(state, ctx, out)
        return advance(state, "cat", ctx)
    if value not in CATEGORIES:
        return unclear(state, value, ctx)
    if value in chosen:
        chosen.remove(value)
    else:
        chosen.append(value)
    state.data["cat"] = [c for c in CATEGORIES if c in chosen]
    return reprompt(state, ctx)


def typed_categories(text: str) -> set[str]:
    """'fisik, psikis' -> both; only when every part is a category."""
    parts = [p for p in re.split(r"[,;/+&]|\bdan\b|\band\b", text.lower()) if p.strip()]
    found: set[str] = set()
    for part in parts:
        wanted = simplify(part)
        hits = [v for v in CATEGORIES if wanted and (wanted == v or wanted in v.split("_"))]
        if len(hits) != 1:
            return set()
        found.add(hits[0])
    return found


def age_group(years: int) -> str | None:
    for bound, group in _AGE_BOUNDS:
        if years <= bound:
            return group
    return "60+" if years < 130 else None


def _location(state: ConversationState, inbound: Inbound, ctx: Ctx) -> Outcome:
    assert inbound.location is not None
    state.data["point"] = {"lat": inbound.location.latitude, "lon": inbound.location.longitude}
    out = Outcome()
    out.say(ctx.t("Titik lokasi diterima. Terima kasih."))
    if state.step == "loc":
        return advance(state, "loc", ctx, out)
    return reprompt(state, ctx, out)


def _location_detail(state: ConversationState, text: str, ctx: Ctx) -> Outcome:
    out = Outcome()
    if len(text) > MAX_LOCATION_DETAIL:
        text = text[:MAX_LOCATION_DETAIL]
        out.say(ctx.t("Kami simpan {limit} huruf pertama.", limit=MAX_LOCATION_DETAIL))
    state.data["loc"] = text
    return advance(state, "loc", ctx, out)


def _description(state: ConversationState, text: str, ctx: Ctx) -> Outcome:
    out = Outcome()
    earlier = str(state.data.get("desc") or "")
    if earlier and not state.data.get("editing"):
        # Words that came with a photo at this step are the story's start: keep them, in order.
        text = f"{earlier}\n{text}"
    if len(text) > MAX_DESCRIPTION:
        text = text[:MAX_DESCRIPTION]
        out.say(
            ctx.t(
                "Cerita Anda panjang; kami simpan {limit} huruf pertama. "
                "Hal penting lainnya bisa Anda sampaikan kepada petugas nanti.",
                limit=MAX_DESCRIPTION,
            )
        )
    state.data["desc"] = text
    return advance(state, "desc", ctx, out)


def _summary_action(state: ConversationState, value: str, ctx: Ctx) -> Outcome:
    if value in {"send", "anon"}:
        state.data["contact"] = "y" if value == "send" else "n"
        missing = missing_for_submit(state.data)
        if missing is not None:
            out = Outcome()
            out.say(ctx.t("Satu jawaban masih kurang. Mohon lengkapi dulu."))
            state.data["editing"] = True
            return goto(state, missing, ctx, out)
        return Outcome(effect="submit")
    if value == "edit":
        return goto(state, "edit", ctx)
    if value == "cancel":
        state.reset()
        out = Outcome()
        out.say(ctx.t("Laporan dibatalkan. Tidak ada yang dikirim."))
        return out
    return unclear(state, value, ctx)


def _edit_choice(state: ConversationState, value: str, ctx: Ctx) -> Outcome:
    if value == "back":
        return goto(state, "summary", ctx)
    if value not in EDITABLE:
        return unclear(state, value, ctx)
    state.data["editing"] = True
    step = EDITABLE[value][0]
    state.step = step
    state.data.pop("page", None)
    return reprompt(state, ctx)
