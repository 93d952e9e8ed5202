"""The HTTP server of `patbm run`: webhooks, health, metrics (Starlette + uvicorn).

Built-in routes: `POST /webhooks/telegram` and `GET /healthz` ({"database": "ok"} 200, or 503).

The other routes come from the modules named in `build_http_app` (each has
`http_routes(app) -> list[BaseRoute]`; the WhatsApp webhook also gets the delivery hooks of
bot/runtime/wiring.py, for a message that fails after it was sent). Route functions find the App in
`request.app.state.patbm` and, after committing an inbox row, call
`request.app.state.inbox_stored()` so the inbox processor looks at once; after committing
outbox rows, `request.app.state.outbox_queued()` wakes the delivery worker (see
`bot.channels.whatsapp.webhook`, `bot.core.metrics`).

The Telegram webhook checks `X-Telegram-Bot-Api-Secret-Token` in constant time (403 and nothing
stored when wrong or missing), then the body (bot.channels.inbound_limits: 413 over 1 MB, before reading
more; 400 when it is not JSON or too deep) and the update (bot.channels.telegram.schema: 400 when
what we read is malformed), each refusal one log line without the payload; then it stores the
update, commits, and only then answers 200. With the inbox processor of this process
(`build_http_app(inbox=...)`), the update is stored already leased to it when it has room and
handed to it after the commit, as the poller's batches are (bot.channels.telegram.store): no
claim transaction per update. Only our own database failing answers 500, so
Telegram retries (the inbox's unique key makes a retry harmless): never a 500 for input. A button
press is answered in that 200's body (`answerCallbackQuery`), so webhook mode makes no call of
its own for it; in polling mode the inbox answers it after handling (bot.channels.telegram.sender).
"""

from __future__ import annotations

import contextlib
import hmac
import logging
from collections.abc import Callable, Iterator

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bot.channels.inbound_limits import InvalidInput, decode_json, read_body, refusal
from bot.channels.telegram import parse as telegram_parse
from bot.channels.telegram import schema as telegram_schema
from bot.channels.telegram.store import store_updates
from bot.channels.whatsapp import webhook as whatsapp_webhook
from bot.core import metrics
from bot.core.app import App
from bot.messaging.inbox import InboxProcessor
from bot.reporting.dashboard import routes as dashboard_routes
from bot.runtime.wiring import DELIVERY_HOOKS

log = logging.getLogger(__name__)

TELEGRAM_SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


async def healthz(request: Request) -> Response:
    app: App = request.app.state.patbm
    if await app.db.ping():
        return JSONResponse({"database": "ok"})
    return JSONResponse({"database": "unavailable"}, status_code=503)


def _secret_ok(app: App, given: str | None) -> bool:
    secret = app.settings.telegram_webhook_secret
    if secret is None or given is None:
        return False
    return hmac.compare_digest(given.encode(), secret.get_secret_value().encode())


async def telegram_webhook(request: Request) -> Response:
    app: App = request.app.state.patbm
    if not _secret_ok(app, request.headers.get(TELEGRAM_SECRET_HEADER)):
        log.warning("telegram webhook: wrong or missing secret")
        return Response(status_code=403)
    try:
        update = telegram_schema.check_update(decode_json(await read_body(request)))
    except InvalidInput as exc:
        return refusal(telegram_parse.CHANNEL, exc)
    try:
        new, handed = await store_updates(app, [update], request.app.state.inbox)
    except Exception as exc:
        # The input was checked: what fails here is our database. 500 makes Telegram retry.
        log.error("telegram webhook: update not stored (%s)", type(exc).__name__)
        return Response(status_code=500)
    # Committed: now Telegram may forget it. What was not handed over, the processor claims.
    if new > handed:
        request.app.state.inbox_stored()
    query_id = telegram_parse.callback_query_id(update)
    if query_id is not None:
        # The Bot API runs one method given in the webhook's response: the button's spinner
        # stops now, before the press is handled, and without a call of our own.
        return JSONResponse({"method": "answerCallbackQuery", "callback_query_id": query_id})
    return Response(status_code=200)


def build_http_app(
    app: App,
    *,
    inbox_stored: Callable[[], None] | None = None,
    outbox_queued: Callable[[], None] | None = None,
    inbox: InboxProcessor | None = None,
) -> Starlette:
    routes: list[BaseRoute] = [Route("/healthz", healthz, methods=["GET"])]
    if app.settings.telegram_enabled:
        routes.append(Route("/webhooks/telegram", telegram_webhook, methods=["POST"]))
    routes.extend(whatsapp_webhook.http_routes(app, DELIVERY_HOOKS))
    routes.extend(metrics.http_routes(app))
    routes.extend(dashboard_routes.http_routes(app))
    http_app = Starlette(routes=routes)
    http_app.state.patbm = app
    http_app.state.inbox_stored = inbox_stored or (lambda: None)
    http_app.state.inbox = inbox
    http_app.state.outbox_queued = outbox_queued or (lambda: None)
    return http_app


class HttpServer(uvicorn.Server):
    """uvicorn without its own signal handling: `patbm run` owns SIGTERM/SIGINT and stops us."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield

    def stop(self) -> None:
        self.should_exit = True


def build_server(app: App, http_app: Starlette) -> HttpServer:
    config = uvicorn.Config(
        http_app,
        host=app.settings.http_host,
        port=app.settings.http_port,
        log_level="warning",
        lifespan="off",
        access_log=False,
    )
    return HttpServer(config)
