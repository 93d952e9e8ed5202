"""The kecamatan and kelurahan questions: buttons, pages, and typed names."""

from __future__ import annotations

import re

from bot.messages import Option
from handlers.base import ConversationState
from handlers.report.areas import Place, match_places
from handlers.report.context import Ctx, Outcome, has_words, option_id
from handlers.report.navigation import advance, goto, reprompt, unclear


def set_kelurahan(state: ConversationState, place: Place, ctx: Ctx) -> Outcome:
    state.data["kec"], state.data["kel"] = place.parent, place.code
    return advance(state, "kel", ctx)


def area_choice(state: ConversationState, step: str, value: str, ctx: Ctx) -> Outcome:
    areas = ctx.areas
    if areas is None:
        return unclear(state, value, ctx)
    if re.fullmatch(r"p\d{1,3}", value):
        state.data["page"] = int(value[1:])
        return reprompt(state, ctx)
    if step == "kel" and value == "back":
        return goto(state, "kec", ctx)
    place = areas.get(value)
    if place is None:
        return unclear(state, value, ctx)
    if areas.is_kecamatan(place.code):
        if state.data.get("kec") != place.code:
            state.data["kel"] = None
        state.data["kec"] = place.code
        return goto(state, "kel", ctx)
    return set_kelurahan(state, place, ctx)


def typed_area(state: ConversationState, step: str, text: str, ctx: Ctx) -> Outcome:
    areas = ctx.areas
    if areas is None or not has_words(text):
        return unclear(state, text, ctx)
    hits: list[Place] = []
    if step == "kec":
        hits = match_places(text, areas.kecamatan)
    else:
        hits = match_places(text, areas.kelurahan.get(str(state.data.get("kec")), []))
    if not hits:  # a kelurahan named at the kecamatan step, or one in another kecamatan
        hits = match_places(text, areas.all_kelurahan())
    if len(hits) == 1:
        return area_choice(state, step, hits[0].code, ctx)
    out = Outcome()
    if not hits:
        out.say(
            ctx.t(
                "Maaf, nama itu tidak kami temukan di {kota}. Silakan pilih dari daftar.",
                kota=areas.kota_name,
            )
        )
        return reprompt(state, ctx, out)
    options = []
    for place in hits[:8]:
        parent = areas.get(place.parent)
        label = (
            place.name
            if areas.is_kecamatan(place.code) or parent is None
            else (f"{place.name} ({parent.name})")
        )
        options.append((option_id(step, place.code), label))
    out.say(
        ctx.t("Ada beberapa yang mirip. Yang mana maksud Anda?"),
        [Option(i, label) for i, label in options],
    )
    return out
