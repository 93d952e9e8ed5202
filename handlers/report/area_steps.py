"""The kecamatan and kelurahan questions: buttons, pages, and typed names.

A typed name goes straight on when it is certain: an exact name, or a name that matches one
place only in the list being shown. Anything less sure (a typo or part of a name that only
fits a place outside the list, e.g. 'telanai' on Alam Barajo's kelurahan) is asked back:
"Maksud Anda …?" with that place first and the list again; 'ya' takes it.
"""

from __future__ import annotations

import re

from bot.messaging.messages import Option
from handlers.base import ConversationState
from handlers.report.areas import AreaIndex, Place, match_places, normalise_name
from handlers.report.context import Ctx, Outcome, has_words, option_id, parse_option, simplify
from handlers.report.matching import looks_like_a_number, pick_by_number
from handlers.report.navigation import advance, goto, reprompt, unclear
from handlers.report.prompts import options_for

SUGGESTED = "suggest"
YES_WORDS = frozenset({"ya", "iya", "y", "yes", "benar", "betul", "ok", "oke"})


def set_kelurahan(state: ConversationState, place: Place, ctx: Ctx) -> Outcome:
    state.data["kec"], state.data["kel"] = place.parent, place.code
    return advance(state, "kel", ctx)


def area_choice(state: ConversationState, step: str, value: str, ctx: Ctx) -> Outcome:
    areas = ctx.areas
    state.data.pop(SUGGESTED, None)
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


def _shown(state: ConversationState, step: str, areas: AreaIndex) -> list[Place]:
    if step == "kec":
        return areas.kecamatan
    return areas.kelurahan.get(str(state.data.get("kec")), [])


def typed_area(state: ConversationState, step: str, text: str, ctx: Ctx) -> Outcome:
    areas = ctx.areas
    suggested = state.data.pop(SUGGESTED, None)
    if areas is None or not has_words(text):
        return unclear(state, text, ctx)
    if suggested and simplify(text) in YES_WORDS:
        return area_choice(state, step, str(suggested), ctx)
    if looks_like_a_number(text):
        # Typed on WhatsApp or Telegram: a plain 1..N is the Nth option shown, nothing else.
        picked = pick_by_number(text, options_for(step, state.data, ctx))
        parsed = parse_option(picked.id) if picked else None
        return area_choice(state, step, parsed[1], ctx) if parsed else unclear(state, text, ctx)
    hits = match_places(text, _shown(state, step, areas))
    if len(hits) == 1:
        return area_choice(state, step, hits[0].code, ctx)
    if not hits:  # a kelurahan named at the kecamatan step, or one in another kecamatan
        hits = match_places(text, areas.all_kelurahan())
        exact = [p for p in hits if normalise_name(p.name) == normalise_name(text)]
        if len(exact) == 1:
            return area_choice(state, step, exact[0].code, ctx)
        if len(hits) == 1:
            return _confirm(state, step, hits[0], ctx)
    out = Outcome()
    if not hits:
        out.say(
            ctx.t(
                "Maaf, nama itu tidak kami temukan di {kota}. Silakan pilih dari daftar.",
                kota=areas.kota_name,
            )
        )
        return reprompt(state, ctx, out)
    out.say(
        ctx.t("Ada beberapa yang mirip. Yang mana maksud Anda?"),
        [Option(option_id(step, place.code), _full_name(place, areas)) for place in hits[:8]],
    )
    return out


def _full_name(place: Place, areas: AreaIndex) -> str:
    parent = areas.get(place.parent)
    if areas.is_kecamatan(place.code) or parent is None:
        return place.name
    return f"{place.name} ({parent.name})"


def _confirm(state: ConversationState, step: str, place: Place, ctx: Ctx) -> Outcome:
    """Not sure: ask back, with the guess first and the question's own list after it."""
    assert ctx.areas is not None
    state.data[SUGGESTED] = place.code
    parent = ctx.areas.get(place.parent)
    name = (
        ctx.t("{kelurahan} (Kecamatan {kecamatan})", kelurahan=place.name, kecamatan=parent.name)
        if parent is not None and not ctx.areas.is_kecamatan(place.code)
        else place.name
    )
    out = Outcome()
    out.say(
        ctx.t("Maksud Anda {place}? Ketik “ya”, atau pilih dari daftar.", place=name),
        [
            Option(option_id(step, place.code), ctx.t("Ya, {place}", place=name)),
            *options_for(step, state.data, ctx),
        ],
    )
    return out
