"""Notices of one sweep batch, grouped per recipient so a mass catch-up does not flood a chat.

Telegram lets a bot send about one message per second to a chat; after an outage a cadre can owe
dozens of notices at once. Within a batch, the notices of one kind to one person become one
message: a single case keeps its usual message (and its button), several become a list of
references and kelurahan names (never victim or reporter details) with a button to the
recipient's open cases. Every case still has its own case event; only the messages merge.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.cases.buttons import list_button
from bot.core.i18n import Translator
from bot.core.settings import Settings
from bot.messaging.messages import Option, Reply
from bot.messaging.outbox import queue_time

# Listed by reference in a grouped message; the rest are counted.
MAX_LISTED = 20


@dataclass(frozen=True)
class Notice:
    staff_id: int
    language: str
    case_id: int
    kind: str  # the outbox kind: assignment, reminder, escalation
    group: str  # what it says: assignment, update, referral, resolve
    # The message when it is the recipient's only one of its group; built only then.
    reply: Callable[[], Reply]
    dedupe_key: str
    line: tuple[str, str, bool]  # reference, kelurahan name, darurat


def _heading(t: Translator, group: str, count: int, settings: Settings) -> list[str]:
    if group == "assignment":
        return [
            t(
                "Ada {n} laporan yang dialihkan kepada Anda karena belum diterima tepat waktu:",
                n=count,
            )
        ]
    if group == "update":
        return [
            t(
                "Pengingat: {n} kasus belum ada kabar terbaru selama {days} hari kerja:",
                n=count,
                days=settings.remind_update_days,
            )
        ]
    if group == "referral":
        return [
            t(
                "Pengingat: {n} kasus dirujuk ke Dinas dan belum ada tindak lanjut selama "
                "{days} hari kerja:",
                n=count,
                days=settings.remind_referral_days,
            )
        ]
    return [t("Eskalasi: {n} kasus belum selesai dalam batas waktunya:", n=count)]


def _closing(t: Translator, group: str) -> str:
    if group == "assignment":
        return t("Buka daftar kasus Anda untuk menerima atau menolak masing-masing.")
    if group == "update":
        return t("Mohon tambahkan catatan atau perbarui statusnya.")
    if group == "referral":
        return t("Mohon Dinas menindaklanjuti.")
    return t("Mohon Dinas menindaklanjuti.")


def grouped_reply(notices: list[Notice], settings: Settings) -> Reply:
    """One message for several notices of one group to one person."""
    first = notices[0]
    t = Translator(first.language)
    lines = _heading(t, first.group, len(notices), settings)
    for reference, kelurahan, darurat in (n.line for n in notices[:MAX_LISTED]):
        mark = f" - {t('DARURAT')}" if darurat else ""
        lines.append(f"• {reference} ({kelurahan}){mark}")
    if len(notices) > MAX_LISTED:
        lines.append(t("dan {n} lainnya", n=len(notices) - MAX_LISTED))
    lines += ["", _closing(t, first.group)]
    return Reply(text="\n".join(lines), options=(Option(list_button("open"), t("Kasus saya")),))


def outbox_rows(
    notices: list[Notice],
    chats: dict[int, list[tuple[int, str, str]]],
    now: datetime,
    settings: Settings,
) -> list[dict[str, Any]]:
    """The outbox rows for a batch's notices, one message per recipient, group and chat."""
    groups: dict[tuple[int, str], list[Notice]] = {}
    for notice in notices:
        groups.setdefault((notice.staff_id, notice.group), []).append(notice)
    rows: list[dict[str, Any]] = []
    queued = queue_time(now)  # a catch-up run (`jobs run --at`) queues for the real time
    for (staff_id, group), members in groups.items():
        first = members[0]
        if len(members) == 1:
            reply, key, case_id = first.reply(), first.dedupe_key, first.case_id
        else:
            reply = grouped_reply(members, settings)
            # The batch's sweep moved every member's deadline on: the same group never recurs.
            key = f"group:{group}:{staff_id}:{int(now.timestamp())}:{first.case_id}"
            case_id = None
        payload = reply.to_json()
        for identity_id, channel, chat_id in chats.get(staff_id, ()):
            rows.append(
                {
                    "channel": channel,
                    "chat_id": chat_id,
                    "payload": payload,
                    "kind": first.kind,
                    "case_id": case_id,
                    "staff_id": staff_id,
                    "dedupe_key": f"{key}:{identity_id}",
                    "status": "pending",
                    "attempts": 0,
                    "next_attempt_at": queued,
                    "locked_until": None,
                    "last_error": None,
                    "platform_message_id": None,
                    "created_at": queued,
                    "sent_at": None,
                    "delivered_at": None,
                }
            )
    return rows
