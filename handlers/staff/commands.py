"""Staff commands: `/kasus`, `/libur`, `/aktif`, `/ringkasan`."""

from __future__ import annotations

from bot.casework.actions import set_on_duty
from bot.casework.lists import parse_filter
from bot.reporting.digest import digest_text_for
from handlers.base import Turn
from handlers.staff.common import INPUT_FLOW
from handlers.staff.lists import list_cases


async def cases_command(turn: Turn) -> None:
    if turn.staff is None:
        return
    if turn.state.flow == INPUT_FLOW:
        turn.state.reset()
    await list_cases(turn, turn.staff, parse_filter(turn.inbound.command_args))


async def off_duty(turn: Turn) -> None:
    if turn.staff is None:
        return
    set_on_duty(turn.staff, False)
    turn.reply(
        turn.t(
            "Anda sekarang tercatat libur: laporan baru tidak dikirim kepada Anda. Kasus yang "
            "sudah Anda pegang tetap milik Anda. Ketik /aktif untuk bertugas lagi."
        )
    )


async def on_duty(turn: Turn) -> None:
    if turn.staff is None:
        return
    set_on_duty(turn.staff, True)
    turn.reply(turn.t("Selamat bertugas. Laporan baru di wilayah Anda akan dikirim kepada Anda."))


async def digest_now(turn: Turn) -> None:
    staff = turn.staff
    if staff is None:
        return
    turn.reply(await digest_text_for(turn.session, staff, turn.now, turn.app.settings))
