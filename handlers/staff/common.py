"""Shared pieces of the staff handlers: refusals, parsing button data, the case view."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from bot.cases.action_table import status_allows
from bot.cases.authz import AccessDenied, may
from bot.cases.buttons import VERB_ACTIONS, CaseVerb, case_button
from bot.cases.lifecycle import (
    CaseError,
    CaseNotFound,
    InvalidTarget,
    TransitionNotAllowed,
    WrongState,
)
from bot.cases.routing import kelurahan_name
from bot.cases.texts import assignment_reply, status_label
from bot.casework.actions import view_details
from bot.casework.relay import RelayUnavailable, relay_open
from bot.core.i18n import N_
from bot.messaging.messages import Option
from handlers.base import Turn
from models import Case, CaseStatus, Staff, StaffRole

log = logging.getLogger(__name__)

S = CaseStatus
INPUT_FLOW = "staff_input"


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


# The buttons on a case, in the order shown. Each is offered only when this person may take
# its action and the case's status allows it (bot/cases/authz.py); `_SHOWN_WHEN` adds what a button
# needs beyond that. All of it is checked again when the button is pressed.
CASE_BUTTONS: tuple[tuple[CaseVerb, str], ...] = (
    (CaseVerb.ACCEPT, N_("Terima")),
    (CaseVerb.DECLINE, N_("Tolak")),
    (CaseVerb.EVIDENCE, N_("Lihat bukti")),
    (CaseVerb.HANDLE, N_("Sedang ditangani")),
    (CaseVerb.RESOLVE, N_("Selesai")),
    (CaseVerb.REFER, N_("Rujuk ke Dinas")),
    (CaseVerb.ASK, N_("Tanya pelapor")),
    (CaseVerb.NOTE, N_("Tambah catatan")),
    (CaseVerb.REASSIGN, N_("Alihkan")),
    (CaseVerb.CLOSE, N_("Tutup kasus")),
    (CaseVerb.REOPEN, N_("Buka lagi")),
    (CaseVerb.SAME, N_("Ya, laporan sama")),
    (CaseVerb.NOT_SAME, N_("Bukan laporan sama")),
)


def _offered(staff: Staff, case: Case) -> bool:
    return case.status == S.DITUGASKAN and case.assignee_id == staff.id


_SHOWN_WHEN: dict[CaseVerb, Callable[[Staff, Case], bool]] = {
    # The offered cadre decides first; the evidence comes with the full view once accepted.
    CaseVerb.EVIDENCE: lambda staff, case: bool(case.evidence) and not _offered(staff, case),
    CaseVerb.ASK: lambda staff, case: relay_open(case),
    CaseVerb.REASSIGN: lambda staff, case: staff.role in (StaffRole.KOORDINATOR, StaffRole.DINAS),
    CaseVerb.SAME: lambda staff, case: case.duplicate_of_id is not None,
    CaseVerb.NOT_SAME: lambda staff, case: case.duplicate_of_id is not None,
}


def action_options(turn: Turn, staff: Staff, case: Case) -> list[Option]:
    """The buttons this person may use on this case now (checked again when pressed)."""
    options: list[Option] = []
    for verb, label in CASE_BUTTONS:
        action = VERB_ACTIONS[verb]
        shown = _SHOWN_WHEN.get(verb)
        if not (may(staff, case, action) and status_allows(action, case)):
            continue
        if shown is None or shown(staff, case):
            options.append(Option(case_button(verb, case.id), turn.t(label)))
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
