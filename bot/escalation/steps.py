"""The rungs of the escalation ladder as steps over one case: what each changes on the case, the
event it records, the result counter it adds to, and the dedupe keys of its notices.

The per-case path (bot/escalation/per_case.py, notices.py) and the batch path
(bot/escalation/batch_plan.py) take every rung through these, so the two cannot drift apart;
tests/escalation/test_ladder_paths_agree.py sweeps one seeded world both ways.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from bot.cases.deadlines import (
    LEVEL_COORDINATOR,
    LEVEL_NEXT_CADRE,
    Plannable,
    accept_misses_of,
)


class LadderCase(Plannable, Protocol):
    """What a rung changes: a loaded `models.Case`, or the batch's record of one."""

    escalation_level: int
    accept_misses: int
    reminded_at: datetime | None


@dataclass(frozen=True)
class Event:
    """A system event of the ladder: its kind and data (the case and the moment are the caller's)."""

    kind: str
    data: dict[str, Any]


@dataclass(frozen=True)
class AcceptMissed:
    event: Event
    first_miss: bool
    trigger: str  # the routing's reason, recorded on the reassignment event
    counter: str  # the SweepResult field it adds to


# The SweepResult field each deadline kind adds to, where the kind alone decides it.
COUNTERS = {"update": "update_reminders", "referral": "referral_reminders", "resolve": "to_dinas"}


def accept_missed(case: LadderCase) -> AcceptMissed:
    """Not accepted in time: the first miss moves the case on, the second to the coordinator."""
    first_miss = accept_misses_of(case) == 0
    level = LEVEL_NEXT_CADRE if first_miss else LEVEL_COORDINATOR
    data = {
        "rule": "accept_timeout",
        "level": level,
        "miss": 1 if first_miss else 2,
        "staff_id": case.assignee_id,
    }
    case.escalation_level = max(case.escalation_level, level)
    case.accept_misses += 1
    if first_miss:
        return AcceptMissed(Event("escalated", data), True, "accept_timeout", "reassigned")
    return AcceptMissed(Event("escalated", data), False, "accept_timeout_again", "to_coordinator")


def update_reminder(case: LadderCase, now: datetime) -> Event:
    """No update for too long: the assignee is reminded, and the next reminder counts from now."""
    case.reminded_at = now
    return Event("reminder_sent", {"rule": "no_update", "staff_id": case.assignee_id})


def referral_reminder(case: LadderCase, now: datetime) -> Event:
    """Referred and nothing since: the Dinas is reminded."""
    case.reminded_at = now
    return Event("reminder_sent", {"rule": "referral"})


def dinas_escalation(case: LadderCase, level: int, rule: str = "resolve_timeout") -> Event:
    """Not resolved in time (or, `rule="unroutable"`, nobody to give it to): the Dinas is told."""
    case.escalation_level = max(case.escalation_level, level)
    return Event("escalated", {"rule": rule, "level": level, "staff_id": case.assignee_id})


def remind_key(case_id: int, now: datetime, staff_id: int) -> str:
    return f"remind:{case_id}:{int(now.timestamp())}:{staff_id}"


def referral_key(case_id: int, now: datetime, staff_id: int) -> str:
    return f"referral:{case_id}:{int(now.timestamp())}:{staff_id}"


def dinas_key(case_id: int, staff_id: int) -> str:
    # Once per case and officer: a case reaches the Dinas by escalation only once.
    return f"esc:{case_id}:dinas:{staff_id}"
