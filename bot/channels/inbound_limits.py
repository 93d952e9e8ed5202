"""What any webhook body must be before we look inside: a size, a JSON depth, clean strings.

Shared by the Telegram webhook (bot.runtime.http), the Telegram poller and the WhatsApp webhook:

- `read_body(request)`: the raw body, refused (`BodyTooLarge` → 413) as soon as the declared
  `Content-Length` or the bytes streamed so far pass `MAX_BODY_BYTES`, before reading more;
- `decode_json(body)`: bytes → JSON value, refused (`InvalidInput` → 400) when it is not UTF-8
  JSON, holds NaN/Infinity, or nests deeper than `MAX_DEPTH` (never a RecursionError);
- `sanitise(value)`: the same depth check on a value already decoded, with every string (keys
  too) cleaned: a lone UTF-16 surrogate becomes U+FFFD and NUL is dropped. PostgreSQL refuses
  both in text and JSON, and a person's words are worth keeping with one odd character replaced.

Reasons carry field paths and rule names only, never the values: they go to the log.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from bot.core import metrics

log = logging.getLogger(__name__)

# A Telegram update or a WhatsApp batch is a few kilobytes; media come as file ids.
MAX_BODY_BYTES = 1024 * 1024
# The deepest real update (a callback on a reply to a message with a keyboard) is about 10.
MAX_DEPTH = 32


class InvalidInput(Exception):
    """Input we refuse; `reason` is safe to log (no content)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class BodyTooLarge(InvalidInput):
    pass


def refusal(channel: str, exc: InvalidInput) -> Response:
    """The answer to input refused: 413 or 400, with one log line (no content) and a count."""
    too_large = isinstance(exc, BodyTooLarge)
    log.warning("%s webhook: refused (%s)", channel, exc.reason)
    metrics.inbound_refused(channel, "too_large" if too_large else "malformed")
    return Response(status_code=413 if too_large else 400)


async def read_body(request: Request, limit: int = MAX_BODY_BYTES) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and not declared.isdigit():
        raise InvalidInput("content-length is not a number")
    if declared is not None and int(declared) > limit:
        raise BodyTooLarge("content-length over the limit")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge("body over the limit")
        chunks.append(chunk)
    return b"".join(chunks)


def _no_constants(name: str) -> Any:
    raise InvalidInput(f"JSON constant {name} is not allowed")


def decode_json(body: bytes, *, max_depth: int = MAX_DEPTH) -> Any:
    """The body as a sanitised JSON value; InvalidInput for anything else."""
    return sanitise(parse_json(body), max_depth=max_depth)


def parse_json(body: bytes) -> Any:
    """json.loads, with every way it can fail on hostile input turned into InvalidInput."""
    try:
        return json.loads(body, parse_constant=_no_constants)
    except RecursionError as exc:
        # CPython's decoder counts its recursion: a 100,000-deep array ends here, cleanly.
        raise InvalidInput("JSON nested too deep") from exc
    except UnicodeDecodeError as exc:
        raise InvalidInput("body is not UTF-8") from exc
    except ValueError as exc:
        # Not JSON, or an integer of more digits than Python converts.
        raise InvalidInput("body is not JSON") from exc


def clean_text(text: str) -> str:
    if "\x00" in text:
        text = text.replace("\x00", "")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        # Only lone surrogates fail here (the decoder already joined the valid pairs).
        text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text


def sanitise(value: Any, *, max_depth: int = MAX_DEPTH) -> Any:
    return _sanitise(value, max_depth)


def _sanitise(value: Any, room: int) -> Any:
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict | list) and room <= 0:
        raise InvalidInput("JSON nested too deep")
    if isinstance(value, dict):
        return {clean_text(str(k)): _sanitise(v, room - 1) for k, v in value.items()}
    if isinstance(value, list):
        return [_sanitise(v, room - 1) for v in value]
    return value
