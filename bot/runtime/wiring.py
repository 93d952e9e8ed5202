"""What the composition root hands the lower layers, so that they never import upwards."""

from __future__ import annotations

from bot.casework.undelivered import handle_permanent_failure
from bot.channels.telegram.sender import TelegramSender
from bot.channels.telegram.sender import inbox_channel as telegram_inbox
from bot.channels.whatsapp.channel import INBOX_CHANNEL as WHATSAPP_INBOX
from bot.evidence.view import prepare_reply
from bot.messaging.inbox import InboxChannel
from bot.messaging.outcomes import DeliveryHooks

# Delivery (bot/messaging/) knows nothing of cases: a reply naming an evidence file gets the
# file, and a message that can never be delivered is handled for its case, through these.
DELIVERY_HOOKS = DeliveryHooks(prepare=prepare_reply, failed=handle_permanent_failure)


def inbox_channels(telegram: TelegramSender | None = None) -> dict[str, InboxChannel]:
    """Both platforms' parsers for an inbox processor (with a Telegram sender, button presses
    are answered too); `patbm run` adds only the channels it starts."""
    tg = telegram_inbox(telegram)
    return {tg.name: tg, WHATSAPP_INBOX.name: WHATSAPP_INBOX}
