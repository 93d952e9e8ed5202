"""The “Lihat bukti” button (`k:ev:<case id>`): the case's files, sent to the presser's chat."""

from __future__ import annotations

from bot.evidence.view import send_evidence
from handlers.base import Turn
from handlers.staff.common import guarded
from models import Case, Staff


async def show_evidence(turn: Turn, staff: Staff, case: Case) -> None:
    counts: list[tuple[int, int]] = []

    async def run() -> None:
        counts.append(
            await send_evidence(
                turn.session,
                case,
                staff,
                turn.now,
                channel=turn.inbound.channel,
                chat_id=turn.inbound.chat_id,
                language=turn.state.language,
            )
        )

    if not await guarded(turn, run):
        return
    sent, pending = counts[0]
    t = turn.t
    if sent:
        turn.reply(
            t("Bukti kasus {ref}: {n} berkas dikirim ke chat ini.", n=sent, ref=case.reference)
        )
    elif pending:
        turn.reply(
            t(
                "Bukti kasus {ref} masih sedang diambil. Coba lagi sebentar lagi.",
                ref=case.reference,
            )
        )
    else:
        turn.reply(t("Tidak ada bukti yang tersimpan untuk kasus {ref}.", ref=case.reference))
