"""Staff linking: a chat account becomes a staff member's account (channel-neutral).

- `/start` (this module owns it): without a code, the resident's welcome (handlers.general),
  which tells staff in one line about `/daftar`; `/start CODE` (the deep link `patbm staff
  invite` prints) links this chat account with the one-time code.
- `/daftar`: asks for the person's own number with the platform's contact button and waits in
  the `linking` flow.
- A shared contact links only when it is the sender's own (`contact.user_id == inbound.user_id`:
  Telegram's contact button and "share my contact" always carry the presser's own user id; a
  forwarded card of someone else carries another id or none) AND the number belongs to an
  active staff member. That holds at any point of any flow (`link_own_contact`, called by the
  router before the flow): a cadre who pressed START and sees the resident's first question
  just shares their contact. A resident draft in progress is discarded, and the reply says so
  (a draft still at its first question holds nothing and is not mentioned):
  staff are then shown their menu, and a half-filled report kept under it would catch their
  next typed words. Anything else links nothing and says so kindly (in the report flow the
  report's own "not needed" answer). Logs carry ids only, never the number.
"""

from __future__ import annotations

import logging

from bot.admin.staff import find_by_phone, redeem_invite
from bot.cases import vocabulary
from bot.casework.intake import may_record
from bot.messaging.messages import Reply
from handlers import general
from handlers.base import Turn
from handlers.report.labels import FLOW as REPORT_FLOW
from handlers.report.labels import STEPS as REPORT_STEPS
from models import Staff

log = logging.getLogger(__name__)

FLOW = "linking"
STEP_CONTACT = "contact"


def _link(turn: Turn, staff: Staff) -> None:
    turn.identity.staff_id = staff.id
    turn.staff = staff
    # The /daftar flow showed a reply keyboard (the contact button) that must go away.
    had_contact_keyboard = turn.state.flow == FLOW
    # A draft still at its first question holds no answer: a cadre who pressed START and
    # shares their contact is not told that "the report being filled in" was cancelled.
    had_draft = turn.state.flow == REPORT_FLOW and turn.state.step != REPORT_STEPS[0]
    turn.state.reset()
    log.info("chat identity %s linked to staff %s", turn.identity.id, staff.id)
    text = turn.t(
        "Terima kasih, {name}. Akun ini sekarang terhubung sebagai petugas PATBM "
        "({role}). Anda akan menerima tugas dan pemberitahuan kasus di sini.",
        name=staff.name,
        role=vocabulary.STAFF_ROLES.label(turn.t, staff.role),
    )
    if had_draft:
        text += "\n\n" + (
            turn.t(
                "Laporan yang sedang diisi di chat ini dibatalkan dan tidak dikirim. "
                "Untuk mencatat kasus, tekan «Catat kasus»."
            )
            if may_record(staff)
            else turn.t(
                "Laporan yang sedang diisi di chat ini dibatalkan dan tidak dikirim. "
                "Untuk melapor, tekan «Buat laporan baru»."
            )
        )
    menu = general.staff_menu(turn)
    if had_contact_keyboard:
        # Telegram cannot remove a reply keyboard and show buttons in one message.
        turn.replies.append(Reply(text=text, extra={"remove_keyboard": True}))
        turn.reply(turn.t("Ketik /bantuan untuk perintah petugas."), menu)
        return
    turn.reply(text + "\n\n" + turn.t("Ketik /bantuan untuk perintah petugas."), menu)


async def start(turn: Turn) -> None:
    args = turn.inbound.command_args
    if not args:
        await general.welcome(turn)
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


def _own_contact(turn: Turn) -> bool:
    contact = turn.inbound.contact
    return (
        contact is not None
        and contact.user_id is not None
        and (contact.user_id == turn.inbound.user_id)
    )


async def link_own_contact(turn: Turn) -> bool:
    """At any point of any flow: the sender's own contact with a staff number links them."""
    contact = turn.inbound.contact
    if contact is None or not _own_contact(turn):
        return False
    staff = await find_by_phone(turn.session, contact.phone)
    if staff is None:
        return False
    _link(turn, staff)
    return True


async def on_contact(turn: Turn) -> None:
    """A shared contact card: link when it is the sender's own and a staff member's number."""
    contact = turn.inbound.contact
    if contact is None:
        return
    if not _own_contact(turn):
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
