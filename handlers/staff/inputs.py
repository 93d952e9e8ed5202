"""Typed input after a case button: decline reason, note, outcome, referral reason, question."""

from __future__ import annotations

from bot.casework import actions as casework
from bot.casework import relay
from bot.casework.actions import load_case
from handlers.base import Turn
from handlers.staff.common import action_options, guarded, refuse
from models import Case, Staff


async def staff_input(turn: Turn) -> None:
    t = turn.t
    staff = turn.staff
    if staff is None:
        turn.state.reset()
        refuse(turn)
        return
    text = (turn.inbound.text or "").strip()
    if not text:
        turn.reply(t("Mohon tulis dengan teks, atau ketik /batal untuk membatalkan."))
        return
    step = turn.state.step or ""
    case_id = turn.state.data.get("case_id")
    turn.state.reset()
    cases: list[Case] = []

    async def load() -> None:
        cases.append(await load_case(turn.session, int(case_id or 0)))

    if not await guarded(turn, load):
        return
    await _apply(turn, staff, cases[0], step, text)


async def _apply(turn: Turn, staff: Staff, case: Case, step: str, text: str) -> None:
    t = turn.t
    session, now, channel = turn.session, turn.now, turn.inbound.channel
    settings = turn.app.settings
    ref = case.reference
    if step == "decline":
        moved_to: list[Staff | None] = []

        async def decline() -> None:
            moved_to.append(
                await casework.decline(session, case, staff, text, now, settings, channel)
            )

        if not await guarded(turn, decline):
            return
        if moved_to[0] is not None:
            turn.reply(t("Baik, kasus {ref} sudah dialihkan. Terima kasih atas kabarnya.", ref=ref))
        else:
            turn.reply(
                t(
                    "Tidak ada petugas lain yang bisa menerima kasus {ref}, jadi kasus ini masih "
                    "pada Anda. Mohon terima dan tangani, atau hubungi Dinas.",
                    ref=ref,
                ),
                action_options(turn, staff, case),
            )
    elif step == "note":
        if await guarded(
            turn, lambda: casework.add_note(session, case, staff, text, now, settings, channel)
        ):
            turn.reply(
                t("Catatan untuk kasus {ref} disimpan.", ref=ref), action_options(turn, staff, case)
            )
    elif step == "outcome":
        if await guarded(
            turn, lambda: casework.resolve(session, case, staff, text, now, settings, channel)
        ):
            turn.reply(t("Kasus {ref} ditandai selesai. Terima kasih atas kerja Anda.", ref=ref))
    elif step == "refer":
        if await guarded(
            turn, lambda: casework.refer(session, case, staff, text, now, settings, channel)
        ):
            turn.reply(t("Kasus {ref} dirujuk ke Dinas. Dinas sudah diberi tahu.", ref=ref))
    elif step == "ask":
        if await guarded(
            turn, lambda: relay.ask_reporter(session, case, staff, text, now, channel)
        ):
            turn.reply(
                t(
                    "Pertanyaan dikirim kepada pelapor kasus {ref}. Jawabannya akan diteruskan "
                    "kepada Anda di sini.",
                    ref=ref,
                )
            )
    else:
        turn.reply(t("Tombol ini sudah tidak berlaku. Ketik /kasus untuk melihat kasus Anda."))
