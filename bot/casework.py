"""What staff do to a case, as services: one call = one state change + its event + its messages.

Every function takes the acting staff member (None for someone who is not staff), checks the
permission from the database (`bot.authz`), and raises a `CaseError` when it refuses; a refusal
changes nothing but the `access_denied` event. The caller owns the transaction.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import duplicates, routing
from bot.authz import AccessDenied, Action, deny, require, status_allows
from bot.case_buttons import CaseVerb, case_button
from bot.cases import Actor, CaseError, record_event, transition
from bot.casetexts import detail_text
from bot.escalation import refresh_deadline
from bot.i18n import Translator
from bot.messages import Option, Reply
from bot.notify import dinas_staff, notify_reporter, notify_staff
from bot.routing import kelurahan_name
from bot.settings import Settings
from models import Case, CaseStatus, Staff, StaffRole

log = logging.getLogger(__name__)

S = CaseStatus
MAX_TEXT = 2000


@dataclass
class CaseNotFound(CaseError):
    case_id: int

    def __str__(self) -> str:
        return f"case {self.case_id} not found"


@dataclass
class WrongState(CaseError):
    """The case is no longer where the button assumed (already accepted, closed, ...)."""

    reference: str
    status: str

    def __str__(self) -> str:
        return f"{self.reference}: not possible in status {self.status}"


@dataclass
class InvalidTarget(CaseError):
    reference: str

    def __str__(self) -> str:
        return f"{self.reference}: not a valid person to reassign to"


async def load_case(session: AsyncSession, case_id: int) -> Case:
    case = await session.get(Case, case_id)
    if case is None:
        raise CaseNotFound(case_id)
    return case


def _expect(case: Case, action: Action) -> None:
    if not status_allows(action, case):
        raise WrongState(case.reference, case.status)


def _clean(text: str) -> str:
    return text.strip()[:MAX_TEXT]


async def view_details(
    session: AsyncSession,
    case: Case,
    staff: Staff | None,
    now: datetime,
    channel: str | None,
    *,
    language: str | None = None,
) -> str:
    """The full case text for someone allowed to see it; the view is an audit event."""
    actor = require(session, staff, case, Action.VIEW, now, channel)
    if case.status == S.DITUGASKAN and staff is not None and case.assignee_id == staff.id:
        # The offered cadre sees the details only once they take the case.
        raise WrongState(case.reference, case.status)
    record_event(session, case, "viewed", actor, now)
    language = language or (staff.language if staff is not None else None)
    return detail_text(Translator(language), case, now, await kelurahan_name(session, case))


async def accept(
    session: AsyncSession,
    case: Case,
    staff: Staff | None,
    now: datetime,
    settings: Settings,
    channel: str | None,
) -> None:
    actor = require(session, staff, case, Action.ACCEPT, now, channel)
    _expect(case, Action.ACCEPT)
    transition(session, case, S.DITERIMA, actor, now, kind="accepted")
    refresh_deadline(case, now, settings)
    t = Translator(case.language)
    notify_reporter(
        session,
        case,
        Reply(
            text=t(
                "Laporan {ref} sudah diterima oleh kader PATBM di wilayah Anda. Terima kasih "
                "sudah melapor. Kader mungkin mengirim pertanyaan melalui bot ini; nomor Anda "
                "tidak diberikan kepada siapa pun.",
                ref=case.reference,
            )
        ),
        now,
        kind="reporter_update",
        dedupe_key=f"accepted:{case.id}:{case.assignee_id}:v{case.version}",
    )


async def decline(
    session: AsyncSession,
    case: Case,
    staff: Staff | None,
    reason: str,
    now: datetime,
    settings: Settings,
    channel: str | None,
) -> Staff | None:
    """The offered person declines (with a reason); the case moves on. Returns the next person."""
    actor = require(session, staff, case, Action.DECLINE, now, channel)
    _expect(case, Action.DECLINE)
    record_event(
        session,
        case,
        "declined",
        actor,
        now,
        data={"staff_id": case.assignee_id},
        note=_clean(reason) or None,
    )
    return await routing.route_to_next(session, case, now, settings, "declined", actor=actor)


async def add_note(
    session: AsyncSession,
    case: Case,
    staff: Staff | None,
    text: str,
    now: datetime,
    settings: Settings,
    channel: str | None,
) -> None:
    actor = require(session, staff, case, Action.NOTE, now, channel)
    _expect(case, Action.NOTE)
    record_event(session, case, "note", actor, now, note=_clean(text))
    case.updated_at = now
    refresh_deadline(case, now, settings)


async def mark_handling(
    session: AsyncSession,
    case: Case,
    staff: Staff | None,
    now: datetime,
    settings: Settings,
    channel: str | None,
) -> None:
    actor = require(session, staff, case, Action.HANDLE, now, channel)
    _expect(case, Action.HANDLE)
    transition(session, case, S.DITANGANI, actor, now)
    refresh_deadline(case, now, settings)


async def resolve(
    session: AsyncSession,
    case: Case,
    staff: Staff | None,
    outcome: str,
    now: datetime,
    settings: Settings,
    channel: str | None,
) -> None:
    actor = require(session, staff, case, Action.RESOLVE, now, channel)
    _expect(case, Action.RESOLVE)
    transition(session, case, S.SELESAI, actor, now, kind="resolved", note=_clean(outcome))
    case.outcome = _clean(outcome)
    t = Translator(case.language)
    notify_reporter(
        session,
        case,
        Reply(
            text=t(
                "Laporan {ref} sudah selesai ditangani oleh kader PATBM. Terima kasih atas "
                "kepedulian Anda. Jika masih ada bahaya, segera hubungi 112 atau SAPA 129.",
                ref=case.reference,
            )
        ),
        now,
        kind="reporter_update",
        dedupe_key=f"resolved:{case.id}:v{case.version}",
    )


async def refer(
    session: AsyncSession,
    case: Case,
    staff: Staff | None,
    reason: str,
    now: datetime,
    settings: Settings,
    channel: str | None,
) -> None:
    """Refer to the city office (Dinas PPPA / UPTD PPA): they are told at once."""
    actor = require(session, staff, case, Action.REFER, now, channel)
    _expect(case, Action.REFER)
    transition(session, case, S.DIRUJUK, actor, now, kind="referred", note=_clean(reason))
    refresh_deadline(case, now, settings)
    name = await kelurahan_name(session, case)
    for officer in await dinas_staff(session):
        t = Translator(officer.language)
        await notify_staff(
            session,
            officer,
            Reply(
                text=t(
                    "Kasus {ref} (kelurahan {kelurahan}) dirujuk ke Dinas. Buka kasus untuk "
                    "melihat rincian dan alasannya.",
                    ref=case.reference,
                    kelurahan=name,
                ),
                options=(Option(case_button(CaseVerb.SHOW, case.id), t("Lihat kasus")),),
            ),
            now,
            kind="referral",
            case=case,
            dedupe_key=f"referral:{case.id}:{officer.id}:v{case.version}",
            tell_superior=False,
        )


async def reassign_candidates(session: AsyncSession, case: Case) -> list[Staff]:
    """Cadres of the case's kelurahan, then of its kecamatan, then its coordinators."""
    rows = await session.scalars(
        select(Staff)
        .where(
            Staff.active.is_(True),
            Staff.role.in_([StaffRole.KADER, StaffRole.KOORDINATOR]),
            (Staff.area_code == case.kecamatan_code)
            | Staff.area_code.like(case.kecamatan_code + ".%"),
        )
        .order_by(Staff.name, Staff.id)
    )
    people = [s for s in rows.all() if s.id != case.assignee_id]

    def rank(s: Staff) -> int:
        if s.role == StaffRole.KOORDINATOR:
            return 2
        return 0 if s.area_code == case.kelurahan_code else 1

    return sorted(people, key=rank)


async def reassign(
    session: AsyncSession,
    case: Case,
    staff: Staff | None,
    target_id: int,
    now: datetime,
    settings: Settings,
    channel: str | None,
) -> Staff:
    actor = require(session, staff, case, Action.REASSIGN, now, channel)
    _expect(case, Action.REASSIGN)
    target = await session.get(Staff, target_id)
    if target is None or target.id not in {s.id for s in await reassign_candidates(session, case)}:
        raise InvalidTarget(case.reference)
    previous = await session.get(Staff, case.assignee_id) if case.assignee_id else None
    await routing.reassign(session, case, target, now, settings, actor=actor)
    if previous is not None and previous.id != (staff.id if staff else None):
        t = Translator(previous.language)
        await notify_staff(
            session,
            previous,
            Reply(
                text=t("Kasus {ref} dialihkan ke petugas lain. Terima kasih.", ref=case.reference)
            ),
            now,
            kind="reassigned_away",
            case=case,
            dedupe_key=f"away:{case.id}:{previous.id}:v{case.version}",
            tell_superior=False,
        )
    return target


async def close(
    session: AsyncSession, case: Case, staff: Staff | None, now: datetime, channel: str | None
) -> None:
    actor = require(session, staff, case, Action.CLOSE, now, channel)
    _expect(case, Action.CLOSE)
    transition(session, case, S.DITUTUP, actor, now, kind="closed")


async def reopen(
    session: AsyncSession,
    case: Case,
    staff: Staff | None,
    now: datetime,
    settings: Settings,
    channel: str | None,
) -> None:
    actor = require(session, staff, case, Action.REOPEN, now, channel)
    _expect(case, Action.REOPEN)
    transition(session, case, S.DITANGANI, actor, now, kind="reopened")
    refresh_deadline(case, now, settings)


async def settle_duplicate(
    session: AsyncSession,
    case: Case,
    staff: Staff | None,
    same: bool,
    now: datetime,
    channel: str | None,
) -> None:
    actor = require(session, staff, case, Action.DUPLICATE, now, channel)
    if case.duplicate_of_id is None:
        raise WrongState(case.reference, case.status)
    if same:
        _expect(case, Action.DUPLICATE)
        duplicates.confirm_duplicate(session, case, actor, now)
    else:
        duplicates.dismiss_duplicate(session, case, actor, now)


def set_on_duty(staff: Staff, on_duty: bool) -> None:
    staff.on_duty = on_duty
    log.info("staff %s on duty: %s", staff.id, on_duty)


def refuse_unknown_actor(
    session: AsyncSession, case: Case, channel: str | None, action: str, now: datetime
) -> AccessDenied:
    """For handlers: someone who is not staff pressed a staff button on a real case."""
    return deny(session, case, Actor(kind="resident", channel=channel), action, now)
