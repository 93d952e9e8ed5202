"""What the composition root hands the lower layers, so that they never import upwards."""

from __future__ import annotations

from bot.casework.undelivered import handle_permanent_failure
from bot.evidence.view import prepare_reply
from bot.messaging.outcomes import DeliveryHooks

# Delivery (bot/messaging/) knows nothing of cases: a reply naming an evidence file gets the
# file, and a message that can never be delivered is handled for its case, through these.
DELIVERY_HOOKS = DeliveryHooks(prepare=prepare_reply, failed=handle_permanent_failure)
