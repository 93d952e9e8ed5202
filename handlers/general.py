"""What every user can say: the welcome (/start, /lapor), /bantuan, /bahasa, /batal; kind refusals."""

from __future__ import annotations

from bot.cases.buttons import list_button
from bot.casework.intake import may_record
from bot.core.i18n import LANGUAGES, normalise_language
from bot.messaging.messages import Option
from handlers import intake, status
from handlers.base import Turn
from handlers.intake.labels import FLOW as INTAKE_FLOW
from handlers.report import prompt_current as report_prompt
from handlers.report import start_report
from handlers.report.labels import FLOW as REPORT_FLOW
from models import Staff

LANGUAGE_NAMES = {"id": "Bahasa Indonesia", "en": "English"}


async def welcome(turn: Turn) -> None:
    """The resident's welcome, straight into the first question; an open draft is resumed."""
    if turn.state.flow in (REPORT_FLOW, INTAKE_FLOW):
        turn.reply(turn.t("Kita lanjutkan laporan Anda yang belum selesai."))
        await prompt_current(turn)
        return
    if may_record(turn.staff) and turn.inbound.command in REPORT_COMMANDS:
        # A cadre's /lapor records a case they met (issue 18); "Sebagai warga" is offered there.
        await intake.start_intake(turn)
        return
    if turn.staff is not None and turn.inbound.command not in REPORT_COMMANDS:
        # A cadre writing to the bot is usually at work: their cases first, a report on request.
        staff_home(turn, turn.staff)
        return
    turn.reply(
        turn.t(
            "Halo, ini PATBM Lapor: layanan melapor kekerasan terhadap anak dan perempuan. "
            "Laporan Anda dijaga kerahasiaannya dan boleh anonim.\n"
            "Ketik /batal untuk membatalkan, /bantuan untuk bantuan, /bahasa untuk bahasa lain.\n"
            "Petugas PATBM: ketik /daftar untuk menghubungkan akun Anda.",
        )
    )
    await start_report(turn)


REPORT_COMMANDS = {"/lapor", "/mulai"}


async def prompt_current(turn: Turn) -> None:
    """Ask again whatever question the person is at, in either report flow."""
    await report_prompt(turn)
    await intake.prompt_current(turn)


def staff_menu(turn: Turn) -> list[Option]:
    if may_record(turn.staff):
        return [
            Option(list_button("open"), turn.t("Kasus saya")),
            Option(intake.START_OPTION, turn.t("Catat kasus")),
        ]
    return [
        Option(list_button("open"), turn.t("Kasus saya")),
        Option("g:report", turn.t("Buat laporan baru")),
    ]


def staff_home(turn: Turn, staff: Staff) -> None:
    turn.reply(
        turn.t(
            "Halo, {name}. Anda terdaftar sebagai petugas PATBM. Ketik /bantuan untuk perintah.",
            name=staff.name,
        ),
        staff_menu(turn),
    )


# /start is handlers.linking's (it also takes an invite code) and comes here without one.
async def start_command(turn: Turn) -> None:
    await welcome(turn)


async def help_command(turn: Turn) -> None:
    turn.reply(
        turn.t(
            "PATBM Lapor membantu Anda melaporkan kekerasan terhadap anak atau perempuan "
            "kepada kader PATBM di kelurahan Anda.\n\n"
            "• Jawab pertanyaan dengan menekan tombol atau mengetik jawaban.\n"
            "• Pertanyaan setelah lokasi boleh dilewati.\n"
            "• /lapor: mulai laporan\n"
            "• /status NOMOR PIN: lihat perkembangan laporan\n"
            "• /bahasa: ganti bahasa\n"
            "• /batal: batalkan laporan yang sedang diisi\n\n"
            "Jika ada bahaya sekarang, hubungi: {numbers}",
            numbers="; ".join(turn.app.settings.emergency_lines()),
        )
    )
    staff_commands = turn.handlers.staff_commands
    if turn.staff is not None and staff_commands:
        turn.reply(
            turn.t("Perintah untuk petugas: {commands}", commands=", ".join(sorted(staff_commands)))
        )
    await prompt_current(turn)


async def language_command(turn: Turn) -> None:
    args = turn.inbound.command_args
    if args and normalise_language(args[0]) == args[0].lower():
        await _set_language(turn, args[0].lower())
        return
    turn.reply(
        turn.t("Pilih bahasa:"),
        [Option(f"g:lang:{code}", LANGUAGE_NAMES[code]) for code in LANGUAGES],
    )


async def general_option(turn: Turn) -> None:
    parts = (turn.inbound.option or "").split(":")
    if len(parts) == 3 and parts[1] == "lang" and parts[2] in LANGUAGES:
        await _set_language(turn, parts[2])
        return
    if parts == ["g", "report"] and turn.state.flow is None:
        await start_report(turn)
        return
    await stale_option(turn)


async def _set_language(turn: Turn, language: str) -> None:
    turn.state.language = language
    turn.identity.language = language
    turn.reply(turn.t("Bahasa diganti ke Bahasa Indonesia."))
    await prompt_current(turn)


async def cancel_command(turn: Turn) -> None:
    if await status.cancel_detour(turn):
        return
    if turn.state.flow is None:
        turn.reply(turn.t("Tidak ada yang sedang diisi. Ketik /lapor untuk membuat laporan."))
        return
    turn.state.reset()
    turn.reply(turn.t("Dibatalkan. Tidak ada yang dikirim. Ketik /lapor untuk mulai lagi."))


async def unknown_command(turn: Turn) -> None:
    turn.reply(turn.t("Maaf, perintah itu tidak kami kenal. Ketik /bantuan untuk daftar perintah."))
    # Like every refusal, it leaves the person with the question they were at.
    await prompt_current(turn)


async def staff_only(turn: Turn) -> None:
    turn.reply(
        turn.t(
            "Perintah ini hanya untuk petugas PATBM yang terdaftar. "
            "Jika Anda ingin melapor, ketik /lapor."
        )
    )
    await prompt_current(turn)


async def stale_option(turn: Turn) -> None:
    turn.reply(turn.t("Tombol itu dari pesan sebelumnya dan sudah tidak berlaku."))
    await prompt_current(turn)


async def unusable(turn: Turn) -> None:
    """A message the bot cannot use (WhatsApp order or unsupported type, a sticker): the same
    words as for a sticker in a report, then the question the person was at."""
    turn.reply(turn.t("Maaf, stiker atau berkas seperti ini tidak bisa kami gunakan."))
    await prompt_current(turn)
