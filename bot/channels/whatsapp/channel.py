"""The WhatsApp channel (Cloud API): what `patbm run` and the HTTP server use.

- `setup(app, http=None) -> WhatsAppSender`: registers the inbox parser for "whatsapp" and
  builds the sender; `http` is an `httpx.AsyncClient` (tests inject one routed to the fake Graph
  API; otherwise one is made). Requests go to `PATBM_WHATSAPP_API_URL`.
- `bot.channels.whatsapp.webhook.http_routes(app, hooks)`: `GET`/`POST /webhooks/whatsapp`,
  mounted by bot.runtime.http with the delivery hooks of bot.runtime.wiring.
- The pieces: whatsapp_parse (webhook JSON → Inbound), whatsapp_render (Reply → API JSON within
  the limits, paged lists), whatsapp_send (Graph API call, error mapping, the 24-hour window and
  the template), whatsapp_webhook (signature, inbox, statuses, paging). The outbox and staff
  rules they reach: bot/messaging/held.py and receipts.py (the window, delivery statuses),
  bot/admin/phone_link.py (staff linked by their verified number).
"""

from __future__ import annotations

import httpx

from bot.channels.whatsapp import parse as whatsapp_parse
from bot.channels.whatsapp.send import GraphAPI, WhatsAppSender
from bot.core.app import App
from bot.messaging.inbox import InboxChannel

CHANNEL = whatsapp_parse.CHANNEL
TIMEOUT = httpx.Timeout(20.0, connect=5.0)


# How the inbox handles stored WhatsApp messages and statuses.
INBOX_CHANNEL = InboxChannel(CHANNEL, whatsapp_parse.parse_item)


def build_graph(app: App, http: httpx.AsyncClient | None = None) -> GraphAPI:
    settings = app.settings
    if settings.whatsapp_token is None or not settings.whatsapp_phone_number_id:
        raise ValueError("PATBM_WHATSAPP_TOKEN and PATBM_WHATSAPP_PHONE_NUMBER_ID are needed")
    return GraphAPI(
        http or httpx.AsyncClient(timeout=TIMEOUT),
        base_url=settings.whatsapp_api_url,
        version=settings.whatsapp_api_version,
        phone_number_id=settings.whatsapp_phone_number_id,
        token=settings.whatsapp_token.get_secret_value(),
    )


def setup(app: App, http: httpx.AsyncClient | None = None) -> WhatsAppSender:
    """The outbox's sender for WhatsApp (the inbox's part is INBOX_CHANNEL)."""
    return WhatsAppSender(app, build_graph(app, http))


__all__ = ["CHANNEL", "INBOX_CHANNEL", "GraphAPI", "WhatsAppSender", "build_graph", "setup"]
