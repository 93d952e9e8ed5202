"""What a pressed case button does (the data is read in bot/cases/buttons.py). The data only names
the case: who may act is decided from the database for the person who pressed it, every time."""

from __future__ import annotations

from bot.cases.action_table import Action, status_allows
from bot.cases.authz import require
from bot.cases.buttons import VERB_ACTIONS, CaseVerb, case_button, read_button
from bot.cases.lifecycle import CaseNotFound, WrongState
from bot.casework import actions as casework
from bot.casework import oversight
from bot.casework.lists import CaseFilter
from bot.casework.relay import RelayUnavailable, relay_open
from bot.messaging.messages import Option
from handlers.base import Turn
from handlers.staff.common import (
    INPUT_FLOW,
    action_options,
    guarded,
    refuse,
    show_case,
)
from handlers.staff.evidence import show_evidence
from handlers.staff.lists import list_cases
from models import Case, Staff

# Verbs that ask for typed text next, and the step that waits for it.
PROMPTS: dict[CaseVerb, str] = {
    CaseVerb.DECLINE: "decline",
    CaseVerb.NOTE: "note",
    CaseVerb.RESOLVE: "outcome",
    CaseVerb.REFER: "refer",
    CaseVerb.ASK: "ask",
}


async def pressed_case_button(turn: Turn) -> None:
    pressed = read_button(turn.inbound.option or "")
    if pressed.list_filter is not None:
        if turn.staff is None:
            refuse(turn)
            return
        try:
            which = CaseFilter(pressed.list_filter)
        except ValueError:
            which = CaseFilter.OPEN
        await list_cases(turn, turn.staff, which)
        return
    verb, case_id = pressed.verb, pressed.case_id
    case = await turn.session.get(Case, case_id) if case_id is not None else None
    staff = turn.staff
    if staff is None:
        # Not staff (e.g. a button copied from a cadre's message): refused and recorded, with
        # the same answer whether the case exists or not.
        if case is not None:
            action = VERB_ACTIONS[verb] if verb is not None else "unknown"
            casework.refuse_unknown_actor(
                turn.session, case, turn.inbound.channel, action, turn.now
            )
        refuse(turn)
        return
    if case is None:
        turn.reply(turn.t("Kasus itu tidak ditemukan."))
        return
    if turn.state.flow == INPUT_FLOW:
        # Another button while a typed answer was awaited: that answer is no longer expected.
        turn.state.reset()
    await _act(turn, staff, case, verb, pressed.extra)


async def _act(
    turn: Turn, staff: Staff, case: Case, verb: CaseVerb | None, extra: int | None
) -> None:
    t = turn.t
    session, now, channel = turn.session, turn.now, turn.inbound.channel
    settings = turn.app.settings
    if verb == CaseVerb.SHOW:
        await show_case(turn, staff, case)
    elif verb == CaseVerb.EVIDENCE:
        await show_evidence(turn, staff, case)
    elif verb == CaseVerb.ACCEPT:
        if await guarded(
            turn, lambda: casework.accept(session, case, staff, now, settings, channel)
        ):
            turn.reply(t("Terima kasih. Kasus {ref} sekarang Anda tangani.", ref=case.reference))
            await show_case(turn, staff, case)
    elif verb is not None and verb in PROMPTS:
        await _prompt(turn, staff, case, verb)
    elif verb == CaseVerb.HANDLE:
        if await guarded(
            turn, lambda: casework.mark_handling(session, case, staff, now, settings, channel)
        ):
            turn.reply(
                t("Kasus {ref} ditandai sedang ditangani.", ref=case.reference),
                action_options(turn, staff, case),
            )
    elif verb == CaseVerb.REASSIGN:
        await _reassign_menu(turn, staff, case)
    elif verb == CaseVerb.REASSIGN_TO:
        await _reassign_to(turn, staff, case, extra)
    elif verb == CaseVerb.CLOSE:
        if await guarded(turn, lambda: oversight.close(session, case, staff, now, channel)):
            turn.reply(t("Kasus {ref} ditutup.", ref=case.reference))
    elif verb == CaseVerb.REOPEN:
        if await guarded(
            turn, lambda: oversight.reopen(session, case, staff, now, settings, channel)
        ):
            turn.reply(
                t("Kasus {ref} dibuka lagi dan sedang ditangani.", ref=case.reference),
                action_options(turn, staff, case),
            )
    elif verb in (CaseVerb.SAME, CaseVerb.NOT_SAME):
        same = verb == CaseVerb.SAME
        if await guarded(
            turn, lambda: oversight.settle_duplicate(session, case, staff, same, now, channel)
        ):
            if same:
                turn.reply(
                    t(
                        "Kasus {ref} dicatat sebagai laporan ganda dan dibatalkan.",
                        ref=case.reference,
                    )
                )
            else:
                turn.reply(
                    t(
                        "Baik, kasus {ref} tetap ditangani sebagai laporan tersendiri.",
                        ref=case.reference,
                    )
                )
    else:
        turn.reply(t("Tombol ini sudah tidak berlaku. Ketik /kasus untuk melihat kasus Anda."))


async def _prompt(turn: Turn, staff: Staff, case: Case, verb: CaseVerb) -> None:
    action, step = VERB_ACTIONS[verb], PROMPTS[verb]
    t = turn.t

    async def check() -> None:
        require(turn.session, staff, case, action, turn.now, turn.inbound.channel)
        if not status_allows(action, case):
            raise WrongState(case.reference, case.status)
        if step == "ask" and not relay_open(case):
            raise RelayUnavailable(case.reference)

    if not await guarded(turn, check):
        return
    if turn.state.flow is not None:
        # Never throw away another conversation (e.g. a report being written) for a prompt.
        turn.reply(
            t("Selesaikan dulu isian yang sedang berjalan, atau ketik /batal, lalu coba lagi.")
        )
        return
    turn.state.flow = INPUT_FLOW
    turn.state.step = step
    turn.state.data = {"case_id": case.id}
    ref = case.reference
    prompts = {
        "decline": t("Mengapa Anda menolak kasus {ref}? Tulis alasannya singkat.", ref=ref),
        "note": t("Tulis catatan untuk kasus {ref}.", ref=ref),
        "outcome": t("Apa hasil penanganan kasus {ref}? Tulis singkat.", ref=ref),
        "refer": t("Mengapa kasus {ref} perlu dirujuk ke Dinas? Tulis alasannya.", ref=ref),
        "ask": t(
            "Tulis pertanyaan untuk pelapor kasus {ref}. Pesan dikirim lewat bot; nomor Anda "
            "dan nomor pelapor tidak saling terlihat.",
            ref=ref,
        ),
    }
    turn.reply(prompts[step] + "\n" + t("(Ketik /batal untuk membatalkan.)"))


async def _reassign_menu(turn: Turn, staff: Staff, case: Case) -> None:
    people: list[Staff] = []

    async def check() -> None:
        require(turn.session, staff, case, Action.REASSIGN, turn.now, turn.inbound.channel)
        people.extend(await oversight.reassign_candidates(turn.session, case))

    if not await guarded(turn, check):
        return
    if not people:
        turn.reply(turn.t("Tidak ada petugas lain yang bisa dipilih untuk kasus ini."))
        return
    options = [
        casework_option(case, person, turn.t("koordinator") if person.role != "kader" else None)
        for person in people[:9]
    ]
    turn.reply(turn.t("Alihkan kasus {ref} kepada siapa?", ref=case.reference), options)


def casework_option(case: Case, person: Staff, role: str | None) -> Option:
    label = person.name if role is None else f"{person.name} ({role})"
    return Option(case_button(CaseVerb.REASSIGN_TO, case.id, person.id), label[:60])


async def _reassign_to(turn: Turn, staff: Staff, case: Case, extra: int | None) -> None:
    target_id = extra
    names: list[str] = []

    async def run() -> None:
        if target_id is None:
            raise CaseNotFound(case.id)
        target = await oversight.reassign(
            turn.session, case, staff, target_id, turn.now, turn.app.settings, turn.inbound.channel
        )
        names.append(target.name)

    if await guarded(turn, run):
        turn.reply(
            turn.t("Kasus {ref} dialihkan kepada {name}.", ref=case.reference, name=names[0])
        )
