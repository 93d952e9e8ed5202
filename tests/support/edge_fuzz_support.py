"""Hypothesis strategies for the edge fuzz tests (tests/channels/test_edge_fuzz.py): valid updates and
payloads of the real shapes, and junk made by breaking them at the places the bot reads.

Valid parts get fresh ids from a counter (never from hypothesis), so each is a new update from
a new person and can be found again in the database; junk comes from hypothesis.
"""

from __future__ import annotations

import copy
import itertools
import json
from typing import Any

from hypothesis import strategies as st

from tests.fakes import whatsapp_payloads as p

# Any JSON value, small: what a broken client or an attacker puts where a field should be.
junk_json: st.SearchStrategy[Any] = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**40), max_value=10**40)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
    | st.sampled_from(["\ud800", "a\x00b", "1" * 70, "abc", "W" * 300, "99999999999999999999"]),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)

_counter = itertools.count(1)


def fresh() -> int:
    return next(_counter)


# ---- Telegram -------------------------------------------------------------------------------

TELEGRAM_PATHS: list[tuple[str, ...]] = [
    ("update_id",),
    ("message",),
    ("message", "from"),
    ("message", "from", "id"),
    ("message", "from", "is_bot"),
    ("message", "from", "language_code"),
    ("message", "chat"),
    ("message", "chat", "id"),
    ("message", "chat", "type"),
    ("message", "text"),
    ("message", "location"),
    ("message", "contact"),
    ("message", "photo"),
    ("message", "sticker"),
    ("message", "document"),
    ("callback_query",),
]


def telegram_update(user_id: int, text: str = "halo") -> dict[str, Any]:
    return {
        "update_id": 10_000 + user_id,
        "message": {
            "message_id": 1,
            "date": 1795399200,
            "from": {"id": user_id, "is_bot": False, "first_name": "Warga", "language_code": "id"},
            "chat": {"id": user_id, "type": "private", "first_name": "Warga"},
            "text": text,
        },
    }


def _set(document: dict[str, Any], path: tuple[str, ...], value: Any, delete: bool) -> None:
    target: Any = document
    for key in path[:-1]:
        if not isinstance(target, dict):
            return
        target = target.setdefault(key, {})
    if not isinstance(target, dict):
        return
    if delete:
        target.pop(path[-1], None)
    else:
        target[path[-1]] = value


@st.composite
def broken_telegram_body(draw: st.DrawFn) -> bytes:
    """A body that is a Telegram update broken somewhere, or not an update at all."""
    kind = draw(st.sampled_from(["mutated", "mutated", "mutated", "json", "bytes", "deep"]))
    if kind == "json":
        return json.dumps(draw(junk_json)).encode()
    if kind == "bytes":
        return draw(st.binary(max_size=64))
    if kind == "deep":
        depth = draw(st.integers(min_value=33, max_value=5000))
        return b'{"update_id": 1, "message": ' + b"[" * depth + b"]" * depth + b"}"
    update = telegram_update(1_000_000 + fresh())
    for path in draw(st.lists(st.sampled_from(TELEGRAM_PATHS), min_size=1, max_size=3)):
        _set(update, path, draw(junk_json), draw(st.booleans()))
    return json.dumps(update).encode()


# ---- WhatsApp -------------------------------------------------------------------------------

WHATSAPP_MESSAGE_PATHS: list[tuple[str, ...]] = [
    ("id",),
    ("from",),
    ("from_user_id",),
    ("timestamp",),
    ("type",),
    ("text",),
    ("text", "body"),
    ("interactive",),
    ("contacts",),
    ("location",),
    ("image",),
    ("context",),
]
JUNK_TYPES = ["order", "unsupported", "sticker", "contacts", "interactive", "location", "image"]


def sender(number: int) -> str:
    return f"62899{number:08d}"


def valid_message(number: int) -> p.Value:
    return p.text_message(f"wamid.FUZZ.{number}", sender(number), "halo")


@st.composite
def broken_message(draw: st.DrawFn) -> Any:
    number = 50_000_000 + fresh()
    message = valid_message(number)["messages"][0]
    if draw(st.booleans()):
        message["type"] = draw(st.sampled_from(JUNK_TYPES))
    for path in draw(st.lists(st.sampled_from(WHATSAPP_MESSAGE_PATHS), min_size=1, max_size=3)):
        _set(message, path, draw(junk_json), draw(st.booleans()))
    return draw(st.sampled_from([message, message, message, draw(junk_json)]))


@st.composite
def broken_status(draw: st.DrawFn) -> Any:
    status = p.status_update(f"wamid.OUT.{fresh()}", "read", sender(1))["statuses"][0]
    field = draw(st.sampled_from(["id", "status", "timestamp", "errors"]))
    status[field] = draw(junk_json | st.just([{"code": "abc"}]))
    return status


@st.composite
def whatsapp_payload(draw: st.DrawFn) -> tuple[dict[str, Any], list[p.Value]]:
    """A POST body mixing valid text messages with junk parts, and the valid values in it.

    Junk messages travel in changes of their own: a message without `from` belongs to the one
    contact of its change (WhatsApp's rule), which would make it the valid sender's second one.
    """
    valid = [valid_message(fresh()) for _ in range(draw(st.integers(0, 2)))]
    values: list[Any] = copy.deepcopy(valid)
    for value in values:
        if draw(st.integers(0, 4)) == 0:
            value["contacts"].append(draw(junk_json))
    for _ in range(draw(st.integers(1, 4))):
        junk = valid_message(50_000_000 + fresh())
        junk["messages"] = draw(st.lists(broken_message(), min_size=2, max_size=6))
        if draw(st.booleans()):
            junk["statuses"] = draw(st.lists(broken_status(), min_size=1, max_size=2))
        values.append(junk)
    extra = draw(st.lists(junk_json, max_size=2))
    changes: list[Any] = [{"field": "messages", "value": v} for v in values] + extra
    draw(st.randoms()).shuffle(changes)
    entries: list[Any] = [{"id": p.WABA_ID, "changes": changes}]
    if draw(st.integers(0, 3)) == 0:
        entries.append(draw(junk_json | st.just({"changes": {"field": "messages"}})))
    draw(st.randoms()).shuffle(entries)
    return {"object": "whatsapp_business_account", "entry": entries}, valid


def parts(payload: dict[str, Any]) -> int:
    """Messages, statuses and broken structures in a POST: what the webhook takes apart."""
    count = 0
    for entry in payload["entry"]:
        changes = entry.get("changes") if isinstance(entry, dict) else None
        if not isinstance(changes, list):
            count += 1
            continue
        for change in changes:
            value = change.get("value") if isinstance(change, dict) else None
            if not isinstance(value, dict):
                count += 1
                continue
            count += len(value.get("messages") or []) + len(value.get("statuses") or [])
    return count
