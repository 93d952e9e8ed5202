"""Shared pieces of the staff handlers: refusals, parsing button data, the case view."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from bot.authz import AccessDenied, Action, may
from bot.cases import CaseError, TransitionNotAllowed
from bot.casetexts import assignment_reply, status_label
from bot.casework import CaseNotFound, InvalidTarget, WrongState, view_details
from bot.messages import Option
from bot.relay import RelayUnavailable, relay_open
from bot.routing import kelurahan_name
from handlers.base import Turn
from models import Case, CaseStatus, Staff, StaffRole

log = logging.getLogger(__name__)

S = CaseStatus
INPUT_FLOW = "staff_input"


def parse_id(text: str | None) -> int | None:
    if text is None or not text.isdigit() or len(text) > 12:
        return None
    return int(text)


def refuse(turn: Turn) -> None:
    turn.reply(
        turn.t(
            "Maaf, tindakan ini hanya untuk petugas PATBM yang berwenang atas kasus ini. "
            "Tidak ada yang diubah."
        )
    )


async def guarded(turn: Turn, action: Callable[[], Awaitable[None]]) -> bool:
    """Run a case service; turn its refusals into kind replies. True when it went through."""
    t = turn.t
    try:
        await action()
    except AccessDenied:
        refuse(turn)
    except CaseNotFound:
        turn.reply(t("Kasus itu tidak ditemukan."))
    except RelayUnavailable:
        turn.reply(
            t(
                "Pelapor tidak bisa dihubungi untuk kasus ini: pelapor tidak bersedia dihubungi, "
                "sudah menghentikan pesan, atau kasus sudah ditutup."
            )
        )
    except InvalidTarget:
        turn.reply(t("Petugas itu tidak bisa dipilih untuk kasus ini."))
    except (WrongState, TransitionNotAllowed):
        turn.reply(
            t("Tindakan itu tidak bisa dilakukan pada tahap kasus sekarang. Tidak ada yang diubah.")
        )
    except CaseError:
        log.exception("case action refused")
        turn.reply(t("Tindakan itu tidak bisa dilakukan. Tidak ada yang diubah."))
    else:
        return True
    return False


def case_label(turn: Turn, case: Case) -> str:
    mark = "! " if case.priority == "darurat" else ""
    return f"{mark}{case.reference} · {status_label(turn.t, case.status)}"


def action_options(turn: Turn, staff: Staff, case: Case) -> list[Option]:
    """The buttons this person may use on this case now (checked again when pressed)."""
    t = turn.t
    options: list[Option] = []
    cid = case.id
    status = case.status
    if status == S.DITUGASKAN and case.assignee_id == staff.id:
        options += [Option(f"k:acc:{cid}", t("Terima")), Option(f"k:dec:{cid}", t("Tolak"))]
    offered = status == S.DITUGASKAN and case.assignee_id == staff.id
    if case.evidence and not offered and may(staff, case, Action.VIEW):
        options.append(Option(f"k:ev:{cid}", t("Lihat bukti")))
    if status == S.DITERIMA and may(staff, case, Action.HANDLE):
        options.append(Option(f"k:hdl:{cid}", t("Sedang ditangani")))
    if status in (S.DITERIMA, S.DITANGANI, S.DIRUJUK) and may(staff, case, Action.RESOLVE):
        options.append(Option(f"k:done:{cid}", t("Selesai")))
    if status in (S.DITERIMA, S.DITANGANI) and may(staff, case, Action.REFER):
        options.append(Option(f"k:ref:{cid}", t("Rujuk ke Dinas")))
    if may(staff, case, Action.ASK) and status != S.DITUGASKAN and relay_open(case):
        options.append(Option(f"k:ask:{cid}", t("Tanya pelapor")))
    if status not in (S.DIBATALKAN, S.DITUTUP) and may(staff, case, Action.NOTE):
        options.append(Option(f"k:note:{cid}", t("Tambah catatan")))
    open_status = status not in (S.SELESAI, S.DITUTUP, S.DIBATALKAN)
    supervisor = staff.role in (StaffRole.KOORDINATOR, StaffRole.DINAS)
    if open_status and supervisor and may(staff, case, Action.REASSIGN):
        options.append(Option(f"k:re:{cid}", t("Alihkan")))
    if status in (S.SELESAI, S.DIRUJUK) and may(staff, case, Action.CLOSE):
        options.append(Option(f"k:cls:{cid}", t("Tutup kasus")))
    if status in (S.SELESAI, S.DITUTUP) and may(staff, case, Action.REOPEN):
        options.append(Option(f"k:opn:{cid}", t("Buka lagi")))
    if case.duplicate_of_id is not None and open_status and may(staff, case, Action.DUPLICATE):
        options += [
            Option(f"k:dupy:{cid}", t("Ya, laporan sama")),
            Option(f"k:dupn:{cid}", t("Bukan laporan sama")),
        ]
    return options


async def show_case(turn: Turn, staff: Staff, case: Case) -> None:
    """The offered cadre sees the summary; everyone else allowed sees (and is logged seeing) all."""
    if case.status == S.DITUGASKAN and case.assignee_id == staff.id:
        name = await kelurahan_name(turn.session, case)
        offer = assignment_reply(case, turn.state.language, turn.now, name)
        turn.reply(offer.text, offer.options)
        return
    texts: list[str] = []

    async def view() -> None:
        texts.append(
            await view_details(
                turn.session,
                case,
                staff,
                turn.now,
                turn.inbound.channel,
                language=turn.state.language,
            )
        )

    if await guarded(turn, view):
        turn.reply(texts[0], action_options(turn, staff, case))
