"""`/status REF PIN` from any chat; `/status` alone asks for the reference and PIN."""

from __future__ import annotations

from typing import Any

from bot.casework.status import StatusResult, check_status
from bot.core.i18n import N_
from handlers.base import Turn
from handlers.report import prompt_current

FLOW = "status"

STATUS_WORDS = {
    "baru": N_("Laporan sudah diterima dan sedang diteruskan ke kader PATBM."),
    "ditugaskan": N_("Laporan sudah diteruskan ke kader PATBM dan menunggu ditanggapi."),
    "diterima": N_("Kader PATBM sudah menerima laporan ini dan akan menindaklanjutinya."),
    "ditangani": N_("Laporan sedang ditangani."),
    "selesai": N_("Penanganan laporan ini sudah selesai."),
    "ditutup": N_("Laporan ini sudah ditutup."),
    "dirujuk": N_("Laporan dirujuk ke Dinas PPPA/UPTD PPA untuk penanganan lebih lanjut."),
    "dibatalkan": N_("Laporan ini tidak dilanjutkan (misalnya karena sama dengan laporan lain)."),
}


def _split(args: list[str]) -> tuple[str, str | None]:
    """'JMB 7Q4K 2M 123456' -> ('JMB7Q4K2M', '123456'); the PIN is the last all-digit word."""
    if len(args) >= 2 and args[-1].isdigit():
        return "".join(args[:-1]), args[-1]
    return "".join(args), None


async def status_command(turn: Turn) -> None:
    args = turn.inbound.command_args
    if args:
        reference, pin = _split(args)
        if pin is not None:
            await _answer(turn, reference, pin)
            return
        _start(turn, {"ref": reference})
        turn.reply(turn.t("Sekarang kirim PIN laporan Anda (6 angka)."))
        return
    _start(turn, {})
    turn.reply(
        turn.t(
            "Kirim nomor laporan dan PIN Anda, misalnya: JMB-7Q4K-2M 123456\n"
            "Ketik /batal untuk kembali."
        )
    )


def _start(turn: Turn, data: dict[str, Any]) -> None:
    state = turn.state
    if state.flow not in (None, FLOW):
        # Keep an unfinished draft: the status check is a detour, not a new start.
        data["resume"] = {"flow": state.flow, "step": state.step, "data": state.data}
    elif state.flow == FLOW and "resume" in state.data:
        data["resume"] = state.data["resume"]
    state.flow, state.step, state.data = FLOW, "pin" if "ref" in data else "ref", data


async def status_input(turn: Turn) -> None:
    words = (turn.inbound.text or "").split()
    data = turn.state.data
    if not words:
        turn.reply(turn.t("Mohon kirim nomor laporan dan PIN dalam bentuk teks."))
        return
    if turn.state.step == "pin" and len(words) == 1:
        await _answer(turn, str(data.get("ref", "")), words[0])
    else:
        reference, pin = _split(words)
        if pin is None:
            data["ref"] = reference
            turn.state.step = "pin"
            turn.reply(turn.t("Sekarang kirim PIN laporan Anda (6 angka)."))
            return
        await _answer(turn, reference, pin)
    await _finish(turn)


async def cancel_detour(turn: Turn) -> bool:
    """/batal during a status check: back to the draft it interrupted, if there is one."""
    if turn.state.flow != FLOW or not isinstance(turn.state.data.get("resume"), dict):
        return False
    await _finish(turn)
    return True


async def _finish(turn: Turn) -> None:
    resume = turn.state.data.get("resume")
    turn.state.reset()
    if isinstance(resume, dict) and resume.get("flow"):
        turn.state.flow = resume["flow"]
        turn.state.step = resume.get("step")
        turn.state.data = dict(resume.get("data") or {})
        turn.reply(turn.t("Laporan Anda yang belum selesai masih tersimpan; silakan lanjutkan."))
        await prompt_current(turn)


async def _answer(turn: Turn, reference: str, pin: str) -> None:
    result = await check_status(
        turn.session,
        reference,
        pin,
        channel=turn.inbound.channel,
        user_id=turn.inbound.user_id,
        now=turn.now,
        settings=turn.app.settings,
    )
    turn.reply(render(turn, result))


def render(turn: Turn, result: StatusResult) -> str:
    t = turn.t
    if result.outcome == "throttled":
        return t(
            "Terlalu banyak percobaan. Demi keamanan, silakan coba lagi dalam {minutes} menit.",
            minutes=result.retry_after_minutes,
        )
    if result.outcome != "found" or result.updated_at is None:
        return t(
            "Laporan dengan nomor dan PIN itu tidak ditemukan. "
            "Periksa lagi nomor laporan dan PIN Anda."
        )
    local = result.updated_at.astimezone(turn.app.settings.zone)
    return t(
        "Laporan {reference}: {status}\nPembaruan terakhir: {when}",
        reference=result.reference,
        status=t(STATUS_WORDS.get(str(result.status), str(result.status))),
        when=f"{local:%d-%m-%Y %H:%M} {local.tzname()}",
    )
