"""The reporter's side of the masked relay: answer a cadre's question, or `/stop REF`."""

from __future__ import annotations

from bot.cases.authz import AccessDenied, actor_for, deny
from bot.cases.notify import is_reporter
from bot.casework.relay import RelayUnavailable, reporter_answer, stop_relay
from handlers.base import Turn
from models import Case

RELAY_FLOW = "relay"


async def relay_button(turn: Turn) -> None:
    t = turn.t
    parts = (turn.inbound.option or "").split(":")
    raw_id = parts[2] if len(parts) > 2 else ""
    case = await turn.session.get(Case, int(raw_id)) if raw_id.isdigit() else None
    if case is None or not is_reporter(case, turn.inbound.channel, turn.inbound.user_id):
        # Someone else's message: nothing happens, and it is not said whose case it is.
        if case is not None:
            deny(
                turn.session,
                case,
                actor_for(turn.staff, turn.inbound.channel),
                "relay_answer",
                turn.now,
            )
        turn.reply(t("Tombol ini tidak berlaku untuk Anda."))
        return
    if turn.state.flow not in (None, RELAY_FLOW):
        # A report being written is never thrown away for an answer.
        turn.reply(
            t("Selesaikan dulu isian yang sedang berjalan, atau ketik /batal, lalu coba lagi.")
        )
        return
    turn.state.flow = RELAY_FLOW
    turn.state.step = "answer"
    turn.state.data = {"case_id": case.id}
    turn.reply(
        t(
            "Tulis jawaban Anda untuk laporan {ref}. Jawaban diteruskan kepada kader tanpa nomor "
            "Anda. Ketik /batal untuk membatalkan.",
            ref=case.reference,
        )
    )


async def relay_answer(turn: Turn) -> None:
    t = turn.t
    text = (turn.inbound.text or "").strip()
    if not text:
        turn.reply(t("Mohon tulis jawaban Anda dengan teks, atau ketik /batal."))
        return
    case_id = int(turn.state.data.get("case_id") or 0)
    turn.state.reset()
    try:
        case = await reporter_answer(
            turn.session, case_id, turn.inbound.channel, turn.inbound.user_id, text, turn.now
        )
    except AccessDenied:
        turn.reply(t("Tombol ini tidak berlaku untuk Anda."))
        return
    except RelayUnavailable:
        turn.reply(t("Percakapan untuk laporan ini sudah berakhir. Terima kasih."))
        return
    turn.reply(
        t("Terima kasih. Jawaban Anda sudah diteruskan untuk laporan {ref}.", ref=case.reference)
    )


async def stop_command(turn: Turn) -> None:
    t = turn.t
    args = turn.inbound.command_args
    if not args:
        turn.reply(t("Ketik /stop diikuti nomor laporan, misalnya: /stop JMB-7Q4K-2M"))
        return
    case = await stop_relay(
        turn.session, "".join(args), turn.inbound.channel, turn.inbound.user_id, turn.now
    )
    if turn.state.flow == RELAY_FLOW:
        turn.state.reset()
    if case is None:
        turn.reply(
            t("Tidak ada percakapan dengan nomor laporan itu dari akun ini. Periksa lagi nomornya.")
        )
        return
    turn.reply(
        t(
            "Baik. Anda tidak akan menerima pesan lagi tentang laporan {ref}. Laporan Anda tetap "
            "ditangani. Status bisa dicek dengan /status.",
            ref=case.reference,
        )
    )
