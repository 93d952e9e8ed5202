"""Creating a case from a finished report draft: one transaction, idempotent on the draft's key."""

from __future__ import annotations

import asyncio
import logging
import re
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cases.areas import deployment_kota
from bot.cases.lifecycle import Actor, record_event
from bot.cases.references import check_pin, hash_pin, make_pin, make_reference, prefix_for
from bot.cases.routing import route_new_case
from bot.core.settings import Settings
from bot.evidence.store import queue_evidence
from models import Area, Case, CasePriority, CaseSource, CaseStatus

log = logging.getLogger(__name__)

_REFERENCE_TRIES = 8
# When the reporter said it happened, as an approximate instant ("when" answers).
_WHEN_OFFSETS = {
    "today": timedelta(0),
    "ongoing": timedelta(0),
    "yesterday": timedelta(days=1),
    "week": timedelta(days=3),
}


class ReportIncomplete(ValueError):
    """The draft lacks what a case needs (categories, victim, kelurahan)."""


async def case_prefix(session: AsyncSession, settings: Settings) -> str:
    configured = (settings.case_prefix or "").strip().upper()
    if re.fullmatch(r"[A-Z]{2,5}", configured):
        return configured
    kota = await deployment_kota(session, settings.area_code)
    return prefix_for(kota.name) if kota is not None else "PTB"


async def _checked_area(session: AsyncSession, draft: dict[str, Any]) -> Area:
    kelurahan = await session.get(Area, str(draft.get("kel") or ""))
    if kelurahan is None or kelurahan.parent_code is None:
        raise ReportIncomplete("the draft has no known kelurahan")
    return kelurahan


def _check_draft(draft: dict[str, Any]) -> None:
    if not draft.get("cat"):
        raise ReportIncomplete("the draft has no category")
    if not draft.get("age") or not draft.get("sex"):
        raise ReportIncomplete("the draft has no victim age group or sex")


def _new_case(
    draft: dict[str, Any],
    kelurahan: Area,
    *,
    reference: str,
    pin_hash: str,
    channel: str,
    reporter_user_id: str,
    chat_id: str,
    submission_key: str,
    now: datetime,
    language: str,
) -> Case:
    consent = draft.get("contact") == "y"
    when = draft.get("when")
    offset = _WHEN_OFFSETS.get(str(when)) if when else None
    darurat = bool(draft.get("danger"))
    return Case(
        reference=reference,
        pin_hash=pin_hash,
        submission_key=submission_key,
        status=CaseStatus.BARU,
        priority=CasePriority.DARURAT if darurat else CasePriority.BIASA,
        categories=list(draft.get("cat") or []),
        victim_age_group=draft.get("age") if draft.get("age") != "unk" else None,
        victim_sex=draft.get("sex") if draft.get("sex") != "unk" else None,
        victim_age_years=draft.get("years"),
        place=draft.get("place"),
        perpetrator_relation=draft.get("rel"),
        incident_when=when or ("ongoing" if darurat else None),
        incident_at=now - offset if offset is not None else (now if darurat else None),
        kecamatan_code=kelurahan.parent_code,
        kelurahan_code=kelurahan.code,
        location_detail=draft.get("loc") or None,
        location_point=draft.get("point") or None,
        description=draft.get("desc") or None,
        evidence=list(draft.get("evidence") or []) or None,
        reporter_contact=(
            {"channel": channel, "chat_id": chat_id, "user_id": reporter_user_id}
            if consent
            else None
        ),
        reporter_role=draft.get("role"),
        anonymous=not consent,
        source=CaseSource.LAPORAN_WARGA,
        contact_consent=consent,
        channel=channel,
        language=language,
        escalation_level=0,
        created_at=now,
        updated_at=now,
    )


async def _existing(session: AsyncSession, submission_key: str) -> Case | None:
    found: Case | None = await session.scalar(
        select(Case).where(Case.submission_key == submission_key)
    )
    return found


def _pin_of(case: Case, draft: dict[str, Any]) -> str:
    pin = str(draft.get("pin") or "")
    return pin if pin and check_pin(case.reference, pin, case.pin_hash) else ""


async def create_case(
    session: AsyncSession,
    draft: dict[str, Any],
    *,
    actor: Actor,
    channel: str,
    reporter_user_id: str,
    chat_id: str,
    submission_key: str,
    now: datetime,
    settings: Settings,
    language: str = "id",
    fields: dict[str, Any] | None = None,
) -> tuple[Case, str, bool]:
    """The case for this draft, its PIN, and whether it was created now (False: it existed).

    Shared by the resident's report and the staff intake: the reference, the PIN, the `created`
    event (by `actor`) and the evidence queue, in the caller's transaction; `fields` set columns
    the resident's draft has no answer for (the source of a cadre's case). Who gets the case
    is the caller's part.
    """
    existing = await _existing(session, submission_key)
    if existing is not None:
        return existing, _pin_of(existing, draft), False
    _check_draft(draft)
    kelurahan = await _checked_area(session, draft)
    pin = str(draft.get("pin") or "") or make_pin()
    prefix = await case_prefix(session, settings)
    for _ in range(_REFERENCE_TRIES):
        reference = make_reference(prefix)
        if await session.scalar(select(Case.id).where(Case.reference == reference)) is not None:
            continue
        # PBKDF2 takes milliseconds of CPU by design; in a thread (hashlib releases the GIL)
        # the event loop meanwhile serves the other chats' sends and answers.
        pin_hash = await asyncio.to_thread(hash_pin, reference, pin)
        case = _new_case(
            draft,
            kelurahan,
            reference=reference,
            pin_hash=pin_hash,
            channel=channel,
            reporter_user_id=reporter_user_id,
            chat_id=chat_id,
            submission_key=submission_key,
            now=now,
            language=language,
        )
        for name, value in (fields or {}).items():
            setattr(case, name, value)
        try:
            async with session.begin_nested():
                session.add(case)
                await session.flush()
        except IntegrityError:
            # Either another submission of this draft won the race, or the reference clashed.
            existing = await _existing(session, submission_key)
            if existing is not None:
                return existing, _pin_of(existing, draft), False
            continue
        record_event(
            session,
            case,
            "created",
            actor,
            now,
            data={
                "priority": case.priority,
                "categories": case.categories,
                "source": case.source,
            },
            to_status=CaseStatus.BARU,
        )
        # The files are fetched after this commit (bot/evidence/worker.py), never inside it.
        queue_evidence(session, case, now)
        await session.flush()
        log.info("case created", extra={"case": case.reference})
        return case, pin, True
    raise RuntimeError("could not find a free case reference")


async def submit_report(
    session: AsyncSession,
    draft: dict[str, Any],
    *,
    channel: str,
    reporter_user_id: str,
    chat_id: str,
    submission_key: str,
    now: datetime,
    settings: Settings,
    language: str = "id",
) -> tuple[Case, str]:
    """The case for this draft and its PIN, created once however often it is submitted.

    A second submission of the same key returns the existing case (its PIN only when the
    draft still holds it: the PIN is stored hashed). Writes the case, its `created` event and,
    through routing, the notifications, all in the caller's transaction.
    """
    case, pin, created = await create_case(
        session,
        draft,
        actor=Actor(kind="reporter", channel=channel),
        channel=channel,
        reporter_user_id=reporter_user_id,
        chat_id=chat_id,
        submission_key=submission_key,
        now=now,
        settings=settings,
        language=language,
    )
    if created:
        await route_new_case(session, case, now, settings)
    return case, pin
