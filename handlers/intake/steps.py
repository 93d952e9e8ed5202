"""The staff intake as plain functions: (state, inbound, ctx) -> replies and an effect.

No database and no platform here (handlers/intake/flow.py loads the areas and the cadres, runs
the effect and stores the state). Typed answers, numbers, typos, photos with captions and the
emergency numbers are the resident flow's (handlers/report/), reused, not copied.
"""

from __future__ import annotations

from bot.messaging.messages import Inbound
from handlers.base import ConversationState
from handlers.intake.context import IntakeCtx, parse_option
from handlers.intake.labels import (
    AGE_GROUPS,
    AS_RESIDENT,
    CATEGORIES,
    DONE,
    EDITABLE,
    FLOW,
    HOW,
    MULTI,
    OPTIONAL_STEPS,
    OTHER,
    OWN,
    PLACES,
    RELATIONS,
    SELF,
    SEX_DISABILITY,
    SKIP,
    STEPS,
    TELLERS,
    TYPED_ALIASES,
    WHEN,
)
from handlers.intake.navigation import (
    SAW_IT,
    advance,
    goto,
    reprompt,
    set_kelurahan,
    unclear,
)
from handlers.intake.prompts import options_for
from handlers.intake.summary import parse_source_contact
from handlers.report.areas import match_places
from handlers.report.context import Outcome, has_words, simplify
from handlers.report.labels import MAX_DESCRIPTION, MAX_LOCATION_DETAIL
from handlers.report.matching import looks_like_a_number, match_typed, plain_number
from handlers.report.media import story_media_text, take_media
from handlers.report.prompts import emergency_text
from handlers.report.steps import age_group, typed_categories
from handlers.report.validity import missing_for_submit

_TABLES = {"when": WHEN, "place": PLACES, "rel": RELATIONS, "teller": TELLERS}


def start(state: ConversationState, ctx: IntakeCtx, *, key: str, pin: str) -> Outcome:
    """A new draft; the submission key and PIN are made now so a second save is the same case."""
    state.flow, state.step = FLOW, "danger"
    state.data = {"key": key, "pin": pin}
    if ctx.own_kelurahan and ctx.areas is not None and ctx.areas.get(ctx.own_kelurahan):
        set_kelurahan(state, ctx.own_kelurahan, ctx)
    return reprompt(state, ctx)


def is_current(state: ConversationState, option: str) -> bool:
    parsed = parse_option(option)
    return state.flow == FLOW and parsed is not None and parsed[0] == state.step


def handle(state: ConversationState, inbound: Inbound, ctx: IntakeCtx) -> Outcome:
    if state.step not in (*STEPS, "edit"):
        state.step = "danger"
        return reprompt(state, ctx)
    step = str(state.step)
    if inbound.media is not None:
        return _media(state, inbound, ctx)
    if inbound.location is not None:
        state.data["point"] = {"lat": inbound.location.latitude, "lon": inbound.location.longitude}
        out = Outcome()
        out.say(ctx.t("Titik lokasi diterima. Terima kasih."))
        return advance(state, "kel", ctx, out) if step == "kel" else reprompt(state, ctx, out)
    if inbound.contact is not None:
        out = Outcome()
        out.say(ctx.t("Kontak tidak diperlukan di sini dan tidak kami simpan."))
        return reprompt(state, ctx, out)
    if inbound.option is not None:
        parsed = parse_option(inbound.option)
        return _choose(state, step, parsed[1] if parsed else "", ctx)
    return _typed(state, step, (inbound.text or "").strip(), ctx)


def _typed(state: ConversationState, step: str, text: str, ctx: IntakeCtx) -> Outcome:
    data = state.data
    if step == "kel" and has_words(text) and not looks_like_a_number(text):
        # Typing the RT/RW at the cadre's own kelurahan confirms it: one answer, not two.
        data["loc"] = text[:MAX_LOCATION_DETAIL]
        return advance(state, "kel", ctx)
    if step == "kelpick" and has_words(text):
        hits = match_places(text, ctx.kelurahan_choices())
        return _choose(state, step, hits[0].code, ctx) if len(hits) == 1 else unclear(state, ctx)
    if step == "desc" and has_words(text):
        earlier = str(data.get("desc") or "")
        joined = f"{earlier}\n{text}" if earlier and not data.get("editing") else text
        data["desc"] = joined[:MAX_DESCRIPTION]
        return advance(state, "desc", ctx)
    if step == "summary" and text:
        action = TYPED_ALIASES.get(simplify(text))
        if action is not None:
            return _choose(state, step, action, ctx)
        contact = parse_source_contact(text)
        if contact is None:
            return unclear(state, ctx)
        data["src_name"], data["src_phone"] = contact
        out = Outcome()
        out.say(ctx.t("Nama/nomor sumber dicatat; disimpan terenkripsi bersama kasus."))
        return reprompt(state, ctx, out)
    if step == "cat":
        picked = typed_categories(text)
        if picked:
            data["cat"] = [c for c in CATEGORIES if c in picked]
            return advance(state, "cat", ctx)
    years = plain_number(text) if step == "age" else None
    if years is not None:
        group = age_group(years)
        if group is None:
            return unclear(state, ctx)
        data["age"], data["years"] = group, years
        return advance(state, "age", ctx)
    typed = match_typed(step, text, options_for(step, data, ctx)) if text else None
    return unclear(state, ctx) if typed is None else _choose(state, step, typed, ctx)


def _choose(state: ConversationState, step: str, value: str, ctx: IntakeCtx) -> Outcome:
    data = state.data
    if value == SKIP and step in OPTIONAL_STEPS:
        data[step] = None
        return advance(state, step, ctx)
    if step == "danger" and value == AS_RESIDENT:
        state.reset()
        return Outcome(effect="as_resident")
    if step == "danger" and value in {"y", "n"}:
        data["danger"] = value == "y"
        out = Outcome()
        if data["danger"]:
            out.say(emergency_text(ctx))
        return advance(state, step, ctx, out)
    if step == "cat":
        return _category(state, value, ctx)
    if step == "age" and value in AGE_GROUPS:
        data["age"] = value
        data.pop("years", None)
        return advance(state, step, ctx)
    if step == "sex" and value in SEX_DISABILITY:
        data["sex"], data["disab"] = SEX_DISABILITY[value]
        return advance(state, step, ctx)
    if step == "kelpick" and value in {p.code for p in ctx.kelurahan_choices()}:
        set_kelurahan(state, value, ctx)
        data.pop("assignee", None)
        data.pop("assignee_label", None)
        return goto(state, "kel", ctx)
    if step == "kel" and value in {OWN, OTHER}:
        return advance(state, step, ctx) if value == OWN else goto(state, "kelpick", ctx)
    if step in _TABLES and value in _TABLES[step]:
        data[step] = value
        if step == "teller" and value == SAW_IT:
            data["how"] = data["means"] = data["consent"] = None
        return advance(state, step, ctx)
    if step == "how" and value in HOW:
        data["how"] = value
        data["means"], data["consent"] = HOW[value]
        return advance(state, step, ctx)
    if step == "desc" and value == DONE:
        return advance(state, step, ctx)
    if step == "assign":
        return _assign(state, value, ctx)
    if step == "summary":
        return _summary_action(state, value, ctx)
    if step == "edit":
        return _edit(state, value, ctx)
    return unclear(state, ctx)


def _category(state: ConversationState, value: str, ctx: IntakeCtx) -> Outcome:
    data = state.data
    chosen = list(data.get("cat") or [])
    if value == MULTI:
        data["multi"] = True
        return reprompt(state, ctx)
    if value == DONE:
        if not chosen:
            out = Outcome()
            out.say(ctx.t("Pilih minimal satu bentuk kekerasan (atau “Lainnya”)."))
            return reprompt(state, ctx, out)
        data.pop("multi", None)
        return advance(state, "cat", ctx)
    if value not in CATEGORIES:
        return unclear(state, ctx)
    if not data.get("multi"):
        data["cat"] = [value]
        return advance(state, "cat", ctx)
    if value in chosen:
        chosen.remove(value)
    else:
        chosen.append(value)
    data["cat"] = [c for c in CATEGORIES if c in chosen]
    return reprompt(state, ctx)


def _assign(state: ConversationState, value: str, ctx: IntakeCtx) -> Outcome:
    labels = {str(sid): label for sid, label in ctx.cadres}
    if value == SELF:
        state.data["assignee"] = state.data["assignee_label"] = None
    elif value in labels:
        state.data["assignee"] = int(value)
        state.data["assignee_label"] = labels[value].removeprefix("★ ").split(" · ", 1)[0]
    else:
        return unclear(state, ctx)
    return advance(state, "assign", ctx)


def _summary_action(state: ConversationState, value: str, ctx: IntakeCtx) -> Outcome:
    if value == "save":
        missing = missing_for_submit(state.data)
        if missing is not None:
            out = Outcome()
            out.say(ctx.t("Satu jawaban masih kurang. Mohon lengkapi dulu."))
            state.data["editing"] = True
            return goto(state, "kelpick" if missing in {"kec", "kel"} else missing, ctx, out)
        return Outcome(effect="submit")
    if value == "edit":
        return goto(state, "edit", ctx)
    if value == "cancel":
        state.reset()
        out = Outcome()
        out.say(ctx.t("Pencatatan dibatalkan. Tidak ada yang disimpan."))
        return out
    return unclear(state, ctx)


def _edit(state: ConversationState, value: str, ctx: IntakeCtx) -> Outcome:
    if value == "back":
        return goto(state, "summary", ctx)
    if value not in EDITABLE:
        return unclear(state, ctx)
    state.data["editing"] = True
    if value == "cat":
        state.data["multi"] = True
    return goto(state, EDITABLE[value][0], ctx)


def _media(state: ConversationState, inbound: Inbound, ctx: IntakeCtx) -> Outcome:
    out = Outcome()
    at_story = state.step == "desc"
    taken = take_media(state.data, inbound, ctx, at_story=at_story)
    if taken.refusal is not None:
        out.say(taken.refusal)
        return reprompt(state, ctx, out)
    if at_story and taken.story_added:
        # A photo or voice note with its caption is the story: on to the next question (more
        # files are still kept at any step).
        out.say(ctx.t("Bukti dan ceritanya diterima."))
        return advance(state, "desc", ctx, out)
    if at_story:
        out.say(story_media_text(taken, ctx), options_for("desc", state.data, ctx))
        return out
    out.say(ctx.t("Bukti diterima dan akan disimpan bersama kasus."))
    return reprompt(state, ctx, out)
