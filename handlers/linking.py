"""Staff linking: a chat account becomes a staff member's account (channel-neutral).

- `/start CODE` (the deep link `patbm staff invite` prints): the one-time code links this chat
  account to that staff member. `/start` without a code is the resident's welcome
  (`handlers.general`, the engine's; a short welcome if it is not there).
- `/daftar`: asks for the person's own number with the platform's contact button and waits in
  the `linking` flow.
- A shared contact links only when it is the sender's own (`contact.user_id == inbound.user_id`:
  Telegram's contact button always sends the presser's own user id; a forwarded card of someone
  else carries another id or none) AND the number belongs to an active staff member. Anything
  else links nothing and says so kindly. Logs carry ids only, never the number.
"""

from __future__ import annotations

import importlib
import logging

from bot.messages import Reply
from bot.staff import find_by_phone, redeem_invite
from handlers.base import Turn, command, flow
from models import Staff

log = logging.getLogger(__name__)

FLOW = "linking"
STEP_CONTACT = "contact"

ROLE_LABELS = {
    "kader": "Kader PATBM",
    "koordinator_kecamatan": "Koordinator kecamatan",
    "dinas": "Dinas PPPA",
    "admin": "Admin",
}


def _link(turn: Turn, staff: Staff) -> None:
    turn.identity.staff_id = staff.id
    turn.staff = staff
    if turn.state.flow == FLOW:
        turn.state.reset()
    log.info("chat identity %s linked to staff %s", turn.identity.id, staff.id)
    role = turn.t(ROLE_LABELS.get(staff.role, staff.role))
    turn.replies.append(
        Reply(
            text=turn.t(
                "Terima kasih, {name}. Akun ini sekarang terhubung sebagai petugas PATBM "
                "({role}). Anda akan menerima tugas dan pemberitahuan kasus di sini.",
                name=staff.name,
                role=role,
            ),
            extra={"remove_keyboard": True},
        )
    )


async def _resident_welcome(turn: Turn) -> None:
    general = None
    try:
        general = importlib.import_module("handlers.general")
    except ModuleNotFoundError as exc:
        if exc.name != "handlers.general":
            raise
    welcome = getattr(general, "welcome", None) if general is not None else None
    if welcome is not None:
        await welcome(turn)
        return
    turn.reply(
        turn.t(
            "Selamat datang di PATBM Lapor. Di sini Anda dapat melaporkan kekerasan terhadap "
            "anak atau perempuan dengan aman. Kirim pesan apa saja untuk mulai."
        )
    )


@command("/start")
async def start(turn: Turn) -> None:
    args = turn.inbound.command_args
    if not args:
        await _resident_welcome(turn)
        return
    staff = await redeem_invite(turn.session, args[0], turn.now)
    if staff is None or not staff.active:
        log.info("chat identity %s: invite code refused", turn.identity.id)
        turn.reply(
            turn.t(
                "Kode pendaftaran ini tidak berlaku atau sudah kedaluwarsa. Minta kode baru "
                "kepada admin, atau ketik /daftar untuk mendaftar dengan nomor HP Anda."
            )
        )
        return
    _link(turn, staff)


def _ask_contact(turn: Turn, text: str) -> None:
    turn.replies.append(
        Reply(
            text=text,
            request_contact=True,
            extra={"contact_button": turn.t("📱 Kirim nomor HP saya")},
        )
    )


@command("/daftar")
async def register(turn: Turn) -> None:
    if turn.staff is not None:
        turn.reply(
            turn.t("Akun ini sudah terhubung sebagai petugas PATBM ({name}).", name=turn.staff.name)
        )
        return
    turn.state.reset()
    turn.state.flow = FLOW
    turn.state.step = STEP_CONTACT
    _ask_contact(
        turn,
        turn.t(
            "Untuk mendaftar sebagai petugas PATBM, tekan tombol di bawah untuk membagikan "
            "nomor HP Anda. Nomor ini hanya dipakai untuk mencocokkan dengan daftar petugas. "
            "Ketik /batal untuk membatalkan."
        ),
    )


async def on_contact(turn: Turn) -> None:
    """A shared contact card: link when it is the sender's own and a staff member's number."""
    contact = turn.inbound.contact
    if contact is None:
        return
    if contact.user_id is None or contact.user_id != turn.inbound.user_id:
        log.info("chat identity %s: foreign contact refused", turn.identity.id)
        _ask_contact(
            turn,
            turn.t(
                "Maaf, kontak ini bukan nomor akun Anda sendiri, jadi tidak dapat dipakai untuk "
                "mendaftar. Tekan tombol di bawah untuk membagikan nomor Anda sendiri."
            ),
        )
        return
    staff = await find_by_phone(turn.session, contact.phone)
    if staff is None:
        log.info("chat identity %s: contact is not a staff number", turn.identity.id)
        if turn.state.flow == FLOW:
            turn.state.reset()
        turn.replies.append(
            Reply(
                text=turn.t(
                    "Nomor ini belum terdaftar sebagai petugas PATBM. Jika Anda kader atau "
                    "petugas, minta koordinator atau Dinas PPPA mendaftarkan nomor Anda. "
                    "Untuk membuat laporan, kirim pesan apa saja."
                ),
                extra={"remove_keyboard": True},
            )
        )
        return
    _link(turn, staff)


@flow(FLOW)
async def linking_flow(turn: Turn) -> None:
    if turn.inbound.contact is not None:
        await on_contact(turn)
        return
    _ask_contact(
        turn,
        turn.t(
            "Silakan tekan tombol «Kirim nomor HP saya» di bawah untuk membagikan nomor Anda. "
            "Ketik /batal untuk membatalkan."
        ),
    )
