"""Linking a chat account to a registered staff member by the sender's own number.

A channel sets `Inbound.sender_phone` only when the platform vouches for the number: WhatsApp's
webhook is signed by Meta and its `wa_id` is the sender's verified number. So a message from a
number registered as staff links that account at first contact (no code needed); the WhatsApp
webhook calls this in its transaction. A sender without a `wa_id` (business-scoped id only)
links with the one-time code of `patbm staff invite` (`/start CODE`, handled by
handlers/linking.py like on every channel). That holds at any point:
a resident who is registered as staff later is linked by their next message, whatever flow they
are in; a report they were filling in is kept (their message was an answer to it) and they are
told so.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.admin.staff import find_by_phone
from bot.core.i18n import Translator
from bot.messaging.messages import Inbound, Reply
from bot.messaging.outbox import enqueue
from models import ChatIdentity, Conversation

log = logging.getLogger(__name__)

# handlers.report's flow name (bot/ does not import handlers).
REPORT_FLOW = "report"


async def identity_for(session: AsyncSession, inbound: Inbound) -> ChatIdentity | None:
    return await session.scalar(
        select(ChatIdentity).where(
            ChatIdentity.channel == inbound.channel, ChatIdentity.external_id == inbound.user_id
        )
    )


async def _report_in_progress(session: AsyncSession, inbound: Inbound) -> bool:
    flow = await session.scalar(
        select(Conversation.flow).where(
            Conversation.channel == inbound.channel, Conversation.user_id == inbound.user_id
        )
    )
    return flow == REPORT_FLOW


async def link_by_sender_phone(
    session: AsyncSession, inbound: Inbound, identity: ChatIdentity | None, now: datetime
) -> ChatIdentity | None:
    """Link (creating the identity if needed) when the number is an active staff member's.

    Returns the identity, linked or not; queues a short confirmation when it was just linked.
    """
    if inbound.sender_phone is None or (identity is not None and identity.staff_id is not None):
        return identity
    staff = await find_by_phone(session, inbound.sender_phone)
    if staff is None:
        return identity
    if identity is None:
        identity = ChatIdentity(
            channel=inbound.channel,
            external_id=inbound.user_id,
            chat_id=inbound.chat_id,
            created_at=now,
        )
        session.add(identity)
    identity.staff_id = staff.id
    identity.language = identity.language or staff.language
    await session.flush()
    log.info("%s identity %s linked to staff %s by phone", inbound.channel, identity.id, staff.id)
    t = Translator(staff.language)
    # Only WhatsApp vouches for the number today, so the text names it.
    text = t(
        "Halo {name}, nomor WhatsApp ini terdaftar sebagai staf PATBM dan sekarang sudah "
        "terhubung. Tugas dan pemberitahuan kasus akan dikirim ke sini.",
        name=staff.name,
    )
    if await _report_in_progress(session, inbound):
        # Linked without asking (by the number): the message just sent was meant as an answer,
        # so the draft is kept and goes on, and the person is told.
        text += "\n\n" + t(
            "Laporan yang sedang Anda isi tetap tersimpan dan kita lanjutkan. "
            "Ketik /batal untuk membatalkannya."
        )
    enqueue(
        session,
        channel=inbound.channel,
        chat_id=inbound.chat_id,
        reply=Reply(text=text),
        now=now,
        kind="linked",
        staff_id=staff.id,
    )
    return identity
