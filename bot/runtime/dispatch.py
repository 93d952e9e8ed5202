"""One inbound message, handled in the caller's transaction: identity, state, handler, outbox."""

from __future__ import annotations

import dataclasses
import logging
import traceback
from datetime import datetime, timedelta

from sqlalchemy import and_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from bot.core.app import App
from bot.core.clock import as_utc
from bot.core.i18n import Translator, normalise_language
from bot.messaging.messages import Inbound, Reply, merge_replies
from bot.messaging.outbox import enqueue_reply
from handlers.base import ConversationState, HandlerTable, Turn
from handlers.router import HANDLERS, route
from models import ChatIdentity, Conversation, OutboxMessage, Staff

log = logging.getLogger(__name__)

# `last_inbound_at` is rewritten only when it moved by more than this: otherwise every turn
# rewrote the identity row. It only opens WhatsApp's 24-hour window (bot/channels/
# whatsapp_send.py: open while now - last_inbound_at < 24 h), and a stamp at most this much
# older than the true last message closes the window that much EARLIER, never later: at worst a
# message in the window's last minute goes as a template, which is allowed at any time.
INBOUND_STAMP_STEP = timedelta(minutes=1)

# Races between two instances (or two quick presses) are retried this often.
RACE_RETRIES = 4
GENERIC_ERROR = "Maaf, terjadi gangguan. Silakan coba lagi sebentar lagi."


async def _identity_and_conversation(
    app: App, session: AsyncSession, inbound: Inbound, now: datetime
) -> tuple[ChatIdentity, Conversation]:
    """Both rows of the sender, in one query on every message after the first."""
    found = (
        await session.execute(
            select(ChatIdentity, Conversation)
            .outerjoin(
                Conversation,
                and_(
                    Conversation.channel == ChatIdentity.channel,
                    Conversation.user_id == ChatIdentity.external_id,
                ),
            )
            .where(
                ChatIdentity.channel == inbound.channel,
                ChatIdentity.external_id == inbound.user_id,
            )
        )
    ).first()
    if found is None:
        identity = ChatIdentity(
            channel=inbound.channel,
            external_id=inbound.user_id,
            chat_id=inbound.chat_id,
            created_at=now,
        )
        session.add(identity)
        # The id is needed at once (handlers and logs name the identity by it).
        await session.flush()
        conversation = await session.scalar(
            select(Conversation).where(
                Conversation.channel == inbound.channel, Conversation.user_id == inbound.user_id
            )
        )
    else:
        identity, conversation = found[0], found[1]
    # Written with the rest of the turn's changes, in the same flush.
    identity.chat_id = inbound.chat_id
    stamp = identity.last_inbound_at
    if stamp is None or now - as_utc(stamp) > INBOUND_STAMP_STEP:
        identity.last_inbound_at = now
    if conversation is None:
        conversation = _new_conversation(app, inbound, identity, now)
        session.add(conversation)
        await session.flush()
    return identity, conversation


async def _staff(session: AsyncSession, identity: ChatIdentity) -> Staff | None:
    if identity.staff_id is None:
        return None
    staff = await session.get(Staff, identity.staff_id)
    return staff if staff is not None and staff.active else None


def _new_conversation(
    app: App, inbound: Inbound, identity: ChatIdentity, now: datetime
) -> Conversation:
    language = identity.language or (
        normalise_language(inbound.language_hint)
        if inbound.language_hint
        else normalise_language(app.settings.default_language)
    )
    return Conversation(
        channel=inbound.channel,
        user_id=inbound.user_id,
        chat_id=inbound.chat_id,
        data={},
        language=language,
        updated_at=now,
    )


def _load_state(conversation: Conversation) -> ConversationState:
    return ConversationState(
        flow=conversation.flow,
        step=conversation.step,
        data=dict(conversation.data or {}),
        language=normalise_language(conversation.language),
    )


def _copy(state: ConversationState) -> ConversationState:
    return ConversationState(state.flow, state.step, dict(state.data), state.language)


async def dispatch(
    app: App, session: AsyncSession, inbound: Inbound, handlers: HandlerTable = HANDLERS
) -> list[OutboxMessage]:
    """Handle one inbound in the caller's transaction; returns the queued outbox rows.

    StaleDataError (another instance changed this conversation meanwhile) and IntegrityError
    (two first messages raced) propagate: the caller rolls back and tries again.
    """
    now = app.clock.now()
    identity, conversation = await _identity_and_conversation(app, session, inbound, now)
    staff = await _staff(session, identity)
    state = _load_state(conversation)
    turn = Turn(
        app=app,
        session=session,
        inbound=inbound,
        identity=identity,
        staff=staff,
        state=state,
        now=now,
        handlers=handlers,
    )
    ttl = timedelta(hours=app.settings.draft_ttl_hours)
    if state.flow is not None and as_utc(conversation.updated_at) + ttl < now:
        state.reset()
        turn.reply(
            turn.t(
                "Laporan yang belum selesai sudah lebih dari {hours} jam tidak dilanjutkan, "
                "jadi kami hapus demi keamanan Anda. Silakan mulai lagi.",
                hours=app.settings.draft_ttl_hours,
            )
        )
    before = _copy(state)
    identity_id = identity.id
    kept_replies = list(turn.replies)
    try:
        async with session.begin_nested():
            await route(turn)
    except (StaleDataError, IntegrityError):
        raise
    except Exception as exc:
        # Ids only: an exception's message may quote what the user wrote.
        log.error(
            "handler failed for chat identity %s (%s):\n%s",
            identity_id,
            type(exc).__name__,
            "".join(traceback.format_tb(exc.__traceback__)),
            extra={"chat": identity_id},
        )
        turn.state = before
        turn.replies = [*kept_replies, Reply(text=Translator(before.language)(GENERIC_ERROR))]
    _save_state(conversation, turn.state, now)
    identity.language = turn.state.language
    return await _queue(session, inbound, turn.replies, now)


def _save_state(conversation: Conversation, state: ConversationState, now: datetime) -> None:
    conversation.flow = state.flow
    conversation.step = state.step
    conversation.data = dict(state.data)
    conversation.language = state.language
    conversation.updated_at = now


async def _queue(
    session: AsyncSession, inbound: Inbound, replies: list[Reply], now: datetime
) -> list[OutboxMessage]:
    queued = []
    for index, reply in enumerate(merge_replies(replies)):
        if index == 0 and inbound.prompt_message_id and inbound.option:
            # A button press: edit the prompt in place instead of piling up messages.
            reply = dataclasses.replace(reply, edit_message_id=inbound.prompt_message_id)
        queued.append(
            await enqueue_reply(
                session, channel=inbound.channel, chat_id=inbound.chat_id, reply=reply, now=now
            )
        )
    return queued


async def dispatch_in_transaction(
    app: App, inbound: Inbound, handlers: HandlerTable = HANDLERS
) -> list[OutboxMessage]:
    """dispatch() in a transaction of its own, retried when it lost a race with another one."""
    for attempt in range(RACE_RETRIES + 1):
        try:
            async with app.db.transaction() as session:
                queued = await dispatch(app, session, inbound, handlers)
            return queued
        except (StaleDataError, IntegrityError):
            if attempt == RACE_RETRIES:
                raise
            log.info("dispatch raced another transaction; retrying (attempt %d)", attempt + 1)
    raise AssertionError("unreachable")
