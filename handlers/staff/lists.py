"""`/kasus` lists: a cadre's own open cases; a coordinator's or the Dinas's area with filters."""

from __future__ import annotations

from bot.cases.buttons import CaseVerb, case_button, list_button
from bot.cases.texts import status_label
from bot.casework.lists import CaseFilter, cases_for
from bot.core.i18n import N_
from bot.messaging.messages import Option
from handlers.base import Turn
from handlers.staff.common import case_label
from models import Staff, StaffRole

FILTER_TITLES = {
    CaseFilter.OPEN: N_("Kasus terbuka"),
    CaseFilter.OVERDUE: N_("Kasus terlambat"),
    CaseFilter.UNASSIGNED: N_("Kasus belum ditugaskan"),
}


def is_supervisor(staff: Staff) -> bool:
    return staff.role in (StaffRole.KOORDINATOR, StaffRole.DINAS)


async def list_cases(turn: Turn, staff: Staff, which: CaseFilter) -> None:
    t = turn.t
    cases, total = await cases_for(turn.session, staff, which, turn.now)
    supervisor = is_supervisor(staff)
    # Supervisors get three filter buttons too; WhatsApp lists hold 10 rows in all.
    shown = cases[:7] if supervisor else cases
    options = [
        Option(
            case_button(CaseVerb.SHOW, c.id), case_label(turn, c), status_label(turn.t, c.status)
        )
        for c in shown
    ]
    if supervisor:
        title = t(FILTER_TITLES[which]) + " " + t("di wilayah Anda: {n}", n=total)
        options += [
            Option(list_button(f.value), t(FILTER_TITLES[f])) for f in CaseFilter if f is not which
        ]
    else:
        title = t("Kasus Anda yang masih terbuka: {n}", n=total)
    lines = [title]
    if not cases:
        lines.append(t("Tidak ada kasus."))
    elif total > len(shown):
        lines.append(t("Yang terbaru {n} ditampilkan.", n=len(shown)))
    if cases:
        lines.append(t("Pilih kasus untuk melihat dan menanganinya."))
    turn.reply("\n".join(lines), options)
