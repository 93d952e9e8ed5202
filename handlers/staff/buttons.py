"""Case buttons (`k:<verb>:<case id>[:<staff id>]`). The data only names the case: who may act
is decided from the database for the person who pressed it, every time."""

from __future__ import annotations

from bot import casework
from bot.authz import Action, require
from bot.caselists import CaseFilter
from bot.casework import CaseNotFound
from bot.messages import Option
from bot.relay import RelayUnavailable, relay_open
from handlers.base import Turn, option_prefix
from handlers.staff.common import (
    INPUT_FLOW,
    S,
    action_options,
    guarded,
    parse_id,
    refuse,
    show_case,
)
from handlers.staff.evidence import show_evidence
from handlers.staff.lists import list_cases
from models import Case, Staff

# Verbs that ask for typed text next: the action each needs, and the prompt.
PROMPTS: dict[str, tuple[Action, str]] = {
    "dec": (Action.DECLINE, "decline"),
    "note": (Action.NOTE, "note"),
    "done": (Action.RESOLVE, "outcome"),
    "ref": (Action.REFER, "refer"),
    "ask": (Action.ASK, "ask"),
}
# For the audit trail of refused presses: what each verb would have done.
VERB_ACTIONS: dict[str, str] = {
    "show": Action.VIEW,
    "ev": Action.VIEW,
    "acc": Action.ACCEPT,
    "dec": Action.DECLINE,
    "note": Action.NOTE,
    "hdl": Action.HANDLE,
    "done": Action.RESOLVE,
    "ref": Action.REFER,
    "ask": Action.ASK,
    "re": Action.REASSIGN,
    "rt": Action.REASSIGN,
    "cls": Action.CLOSE,
    "opn": Action.REOPEN,
    "dupy": Action.DUPLICATE,
    "dupn": Action.DUPLICATE,
}
# The states in which each prompt makes sense; checked again when the text arrives.
PROMPT_STATUSES = {
    "decline": (S.DITUGASKAN,),
    "outcome": (S.DITERIMA, S.DITANGANI, S.DIRUJUK),
    "refer": (S.DITERIMA, S.DITANGANI),
}


@option_prefix("k")
async def case_button(turn: Turn) -> None:
    parts = (turn.inbound.option or "").split(":")
    verb = parts[1] if len(parts) > 1 else ""
    if verb == "list":
        if turn.staff is None:
            refuse(turn)
            return
        try:
            which = CaseFilter(parts[2] if len(parts) > 2 else "open")
        except ValueError:
            which = CaseFilter.OPEN
        await list_cases(turn, turn.staff, which)
        return
    case_id = parse_id(parts[2] if len(parts) > 2 else None)
    case = await turn.session.get(Case, case_id) if case_id is not None else None
    staff = turn.staff
    if staff is None:
        # Not staff (e.g. a button copied from a cadre's message): refused and recorded, with
        # the same answer whether the case exists or not.
        if case is not None:
            action = VERB_ACTIONS.get(verb, "unknown")
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
    await _act(turn, staff, case, verb, parts[3] if len(parts) > 3 else None)


async def _act(turn: Turn, staff: Staff, case: Case, verb: str, extra: str | None) -> None:
    t = turn.t
    session, now, channel = turn.session, turn.now, turn.inbound.channel
    settings = turn.app.settings
    if verb == "show":
        await show_case(turn, staff, case)
    elif verb == "ev":
        await show_evidence(turn, staff, case)
    elif verb == "acc":
        if await guarded(
            turn, lambda: casework.accept(session, case, staff, now, settings, channel)
        ):
            turn.reply(t("Terima kasih. Kasus {ref} sekarang Anda tangani.", ref=case.reference))
            await show_case(turn, staff, case)
    elif verb in PROMPTS:
        await _prompt(turn, staff, case, verb)
    elif verb == "hdl":
        if await guarded(
            turn, lambda: casework.mark_handling(session, case, staff, now, settings, channel)
        ):
            turn.reply(
                t("Kasus {ref} ditandai sedang ditangani.", ref=case.reference),
                action_options(turn, staff, case),
            )
    elif verb == "re":
        await _reassign_menu(turn, staff, case)
    elif verb == "rt":
        await _reassign_to(turn, staff, case, extra)
    elif verb == "cls":
        if await guarded(turn, lambda: casework.close(session, case, staff, now, channel)):
            turn.reply(t("Kasus {ref} ditutup.", ref=case.reference))
    elif verb == "opn":
        if await guarded(
            turn, lambda: casework.reopen(session, case, staff, now, settings, channel)
        ):
            turn.reply(
                t("Kasus {ref} dibuka lagi dan sedang ditangani.", ref=case.reference),
                action_options(turn, staff, case),
            )
    elif verb in ("dupy", "dupn"):
        same = verb == "dupy"
        if await guarded(
            turn, lambda: casework.settle_duplicate(session, case, staff, same, now, channel)
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


async def _prompt(turn: Turn, staff: Staff, case: Case, verb: str) -> None:
    action, step = PROMPTS[verb]
    t = turn.t

    async def check() -> None:
        require(turn.session, staff, case, action, turn.now, turn.inbound.channel)
        allowed = PROMPT_STATUSES.get(step)
        if allowed is not None and case.status not in allowed:
            raise casework.WrongState(case.reference, case.status)
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
        people.extend(await casework.reassign_candidates(turn.session, case))

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
    return Option(f"k:rt:{case.id}:{person.id}", label[:60])


async def _reassign_to(turn: Turn, staff: Staff, case: Case, extra: str | None) -> None:
    target_id = parse_id(extra)
    names: list[str] = []

    async def run() -> None:
        if target_id is None:
            raise CaseNotFound(case.id)
        target = await casework.reassign(
            turn.session, case, staff, target_id, turn.now, turn.app.settings, turn.inbound.channel
        )
        names.append(target.name)

    if await guarded(turn, run):
        turn.reply(
            turn.t("Kasus {ref} dialihkan kepada {name}.", ref=case.reference, name=names[0])
        )
