"""The reporter's answer to the question after closing (bot/casework/followup.py asks it).

A button `fu:<follow-up id>:<answer>` counts only when pressed by the case's recorded reporter
(the same channel and user id); anyone else is refused and the attempt recorded. After a real
answer the reporter may write one short free text (optional; anything else ends it).
"""

from __future__ import annotations

from bot.cases.lifecycle import Actor, record_event
from bot.cases.notify import is_reporter
from handlers.base import Turn
from models import Case, CaseFollowUp, FollowUpAnswer

FLOW = "followup"
MAX_NOTE = 300


def _parse(option: str) -> tuple[int, str] | None:
    parts = option.split(":")
    if len(parts) != 3 or not parts[1].isdigit() or len(parts[1]) > 12:
        return None
    if parts[2] not in FollowUpAnswer.ALL:
        return None
    return int(parts[1]), parts[2]


async def on_answer(turn: Turn) -> None:
    t = turn.t
    parsed = _parse(turn.inbound.option or "")
    followup = await turn.session.get(CaseFollowUp, parsed[0]) if parsed else None
    case = await turn.session.get(Case, followup.case_id) if followup is not None else None
    if parsed is None or followup is None or case is None:
        turn.reply(t("Tombol itu sudah tidak berlaku."))
        return
    actor = Actor(kind="reporter", channel=turn.inbound.channel)
    if not is_reporter(case, turn.inbound.channel, turn.inbound.user_id):
        record_event(
            turn.session, case, "access_denied", actor, turn.now, data={"action": "followup"}
        )
        turn.reply(t("Tombol itu sudah tidak berlaku."))
        return
    if followup.status != "sent":
        turn.reply(t("Jawaban Anda sudah kami catat sebelumnya. Terima kasih."))
        return
    answer = parsed[1]
    followup.status = "answered"
    followup.answer = answer
    followup.answered_at = turn.now
    record_event(turn.session, case, "followup_answered", actor, turn.now, data={"answer": answer})
    if answer == FollowUpAnswer.LEWATI:
        turn.reply(t("Baik, terima kasih. Jaga diri Anda."))
        return
    if turn.state.flow is not None:
        # Never take over another conversation (e.g. a new report) for an optional note.
        turn.reply(t("Terima kasih atas jawaban Anda."))
        return
    turn.state.flow, turn.state.step = FLOW, "note"
    turn.state.data = {"followup_id": followup.id}
    turn.reply(
        t(
            "Terima kasih atas jawaban Anda. Jika mau, tulis satu kata atau kalimat singkat "
            "tentang penanganannya (boleh dilewati: ketik /batal)."
        )
    )


async def on_note(turn: Turn) -> None:
    t = turn.t
    followup_id = turn.state.data.get("followup_id")
    text = (turn.inbound.text or "").strip()
    turn.state.reset()
    followup = (
        await turn.session.get(CaseFollowUp, int(followup_id))
        if isinstance(followup_id, int)
        else None
    )
    if followup is None or not text or followup.note is not None:
        turn.reply(t("Terima kasih."))
        return
    followup.note = text[:MAX_NOTE]
    case = await turn.session.get(Case, followup.case_id)
    if case is not None:
        actor = Actor(kind="reporter", channel=turn.inbound.channel)
        record_event(turn.session, case, "followup_note", actor, turn.now)
    turn.reply(t("Terima kasih, tanggapan Anda sudah kami catat."))
