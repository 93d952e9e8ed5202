"""The audit trail of one case: who did what, when and from where, views included.

Reading the trail is itself recorded (a `viewed` event), in the same transaction that reads it,
so the trail always shows who has looked at it. Free-text notes are personal: they are only
shown on request, and the view event says so.

Access outside a case (dashboard sign-ins, refusals, downloads, exports sent in chat) goes to
`access_events` through `record_access`, in the transaction of the request it describes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import load_only

from bot.cases import vocabulary
from bot.cases.lifecycle import Actor, record_event
from bot.cases.references import normalise_reference
from bot.core.logs import log_event
from bot.core.tables import text_table
from models import AccessEvent, Case, CaseEvent, Staff

log = logging.getLogger(__name__)

ACTOR_LABELS = {"reporter": "pelapor", "system": "sistem", "admin": "admin", "staff": "petugas"}


@dataclass(frozen=True)
class AuditEntry:
    at: datetime  # in the deployment's zone
    who: str
    what: str
    channel: str
    detail: str


@dataclass(frozen=True)
class AuditTrail:
    reference: str
    status: str
    entries: list[AuditEntry]


def record_access(
    session: AsyncSession,
    kind: str,
    now: datetime,
    *,
    via: str,
    staff_id: int | None = None,
    data: dict[str, object] | None = None,
) -> AccessEvent:
    """One access event; `data` holds codes, periods and formats, never personal words."""
    event = AccessEvent(at=now, kind=kind, staff_id=staff_id, via=via, data=dict(data or {}))
    session.add(event)
    log_event(log, "access", kind=kind, via=via, staff=staff_id)
    return event


async def access_log(session: AsyncSession, limit: int = 50) -> list[AccessEvent]:
    """The newest access events first."""
    rows = await session.scalars(
        select(AccessEvent).order_by(AccessEvent.at.desc(), AccessEvent.id.desc()).limit(limit)
    )
    return list(rows.all())


def render_access(events: list[AccessEvent], zone: ZoneInfo) -> str:
    rows = [
        (
            e.at.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S %Z"),
            e.kind,
            "-" if e.staff_id is None else f"#{e.staff_id}",
            e.via,
            ", ".join(f"{k}={v}" for k, v in sorted(e.data.items())),
        )
        for e in events
    ]
    table = text_table(["Waktu", "Peristiwa", "Petugas", "Lewat", "Rincian"], rows)
    return f"Akses dasbor dan ekspor ({len(rows)} terbaru)\n\n{table}\n"


def _who(event: CaseEvent, staff: Staff | None) -> str:
    kind = ACTOR_LABELS.get(event.actor_kind, event.actor_kind)
    if staff is None:
        return kind if event.actor_staff_id is None else f"{kind} #{event.actor_staff_id}"
    role = vocabulary.STAFF_ROLES.simfoni(staff.role)
    prefix = "admin: " if event.actor_kind == "admin" else ""
    return f"{prefix}{staff.name} ({role})"


def _what(event: CaseEvent) -> str:
    if event.from_status or event.to_status:
        return f"{event.kind}: {event.from_status or '-'} -> {event.to_status or '-'}"
    return event.kind


def _detail(event: CaseEvent, with_notes: bool) -> str:
    # `data` is machine-readable and never personal by contract (codes, ids, levels).
    parts = [f"{key}={value}" for key, value in sorted(event.data.items())]
    if event.note:
        parts.append(f"catatan: {event.note}" if with_notes else "(ada catatan)")
    return ", ".join(parts)


async def find_case(session: AsyncSession, reference: str) -> Case | None:
    wanted = normalise_reference(reference) or reference.strip().upper()
    return await session.scalar(
        select(Case)
        .options(load_only(Case.id, Case.reference, Case.status))
        .where(Case.reference == wanted)
    )


async def audit_trail(
    session: AsyncSession,
    reference: str,
    now: datetime,
    zone: ZoneInfo,
    *,
    actor: Actor,
    with_notes: bool = False,
) -> AuditTrail | None:
    """The whole trail, this reading included; None when there is no such case."""
    case = await find_case(session, reference)
    if case is None:
        return None
    record_event(session, case, "viewed", actor, now, data={"via": "audit", "notes": with_notes})
    await session.flush()
    log_event(log, "case trail viewed", case=case.reference, actor=actor.kind)
    rows = await session.execute(
        select(CaseEvent, Staff)
        .outerjoin(Staff, Staff.id == CaseEvent.actor_staff_id)
        .where(CaseEvent.case_id == case.id)
        .order_by(CaseEvent.at, CaseEvent.id)
    )
    entries = [
        AuditEntry(
            at=event.at.astimezone(zone),
            who=_who(event, staff),
            what=_what(event),
            channel=event.channel or "-",
            detail=_detail(event, with_notes),
        )
        for event, staff in rows
    ]
    return AuditTrail(case.reference, case.status, entries)


def render(trail: AuditTrail) -> str:
    rows = [
        (e.at.strftime("%Y-%m-%d %H:%M:%S %Z"), e.who, e.what, e.channel, e.detail)
        for e in trail.entries
    ]
    head = f"Jejak audit {trail.reference} (status: {trail.status}, {len(rows)} peristiwa)"
    return (
        head
        + "\n\n"
        + text_table(["Waktu", "Oleh", "Peristiwa", "Saluran", "Rincian"], rows)
        + "\n"
    )
