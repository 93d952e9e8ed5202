"""A neutral Reply → WhatsApp Cloud API message bodies, within the platform's limits.

The API refuses a message that breaks a limit (and pywa passes everything through unchecked),
so every limit is enforced here:

- up to 3 options → reply buttons (title ≤ 20 characters, unique);
- 4 to 10 options → a list message (row title ≤ 24, description ≤ 72, button label ≤ 20,
  section title ≤ 24);
- more than 10 → a paged list: 9 rows and a "Berikutnya" row whose id is `wa:pg:<page>`; the last
  page offers "Kembali ke awal" (`wa:pg:0`). A paging press never reaches the conversation
  handlers: the webhook finds the message it was pressed on (the press's `context.id` is the
  wamid of our list, stored as the outbox row's `platform_message_id`), takes that row's Reply
  and queues it again with `extra["wa_page"]` set;
- interactive bodies ≤ 1024 characters: a longer text goes first as plain text, then the
  options with a short prompt; plain text is split at 4096; footers ≤ 60.

Long titles are cut with an ellipsis; option ids are never changed. `request_contact` needs no
button on WhatsApp (the webhook carries the sender's number), so it renders as plain text, and
`edit_message_id` is ignored (WhatsApp cannot edit a sent message).
"""

from __future__ import annotations

from typing import Any

from bot.channels.whatsapp.parse import PAGE_PREFIX
from bot.core.i18n import Translator
from bot.messaging.messages import Option, Reply

MAX_BUTTONS = 3
BUTTON_TITLE = 20
MAX_ROWS = 10
PAGE_ROWS = 9
ROW_TITLE = 24
ROW_DESCRIPTION = 72
LIST_BUTTON = 20
SECTION_TITLE = 24
INTERACTIVE_BODY = 1024
TEXT_BODY = 4096
FOOTER = 60
ELLIPSIS = "…"

# The page a paged list shows (set on the Reply queued again after a paging press).
PAGE_KEY = "wa_page"

Message = dict[str, Any]


def truncate(text: str, limit: int) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + ELLIPSIS


def split_text(text: str, limit: int = TEXT_BODY) -> list[str]:
    """Pieces of at most `limit` characters, cut at a paragraph, line or word where possible."""
    pieces: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        # One character more: a space right after the limit is a clean cut too.
        window = rest[: limit + 1]
        cut = max(window.rfind("\n\n"), window.rfind("\n"), window.rfind(" "))
        if cut < limit // 2:
            cut = limit
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest or not pieces:
        pieces.append(rest)
    return pieces


def _unique_titles(options: tuple[Option, ...], limit: int) -> list[str]:
    """Button titles must differ; cutting two long labels can make them equal."""
    titles: list[str] = []
    for option in options:
        title = truncate(option.label, limit) or "-"
        number = 2
        while title in titles:
            suffix = f" {number}"
            title = truncate(option.label, limit - len(suffix)) + suffix
            number += 1
        titles.append(title)
    return titles


def text_message(body: str) -> Message:
    return {"type": "text", "text": {"body": body, "preview_url": False}}


def _buttons(body: str, options: tuple[Option, ...], footer: str | None) -> Message:
    titles = _unique_titles(options, BUTTON_TITLE)
    interactive: dict[str, Any] = {
        "type": "button",
        "body": {"text": body},
        "action": {
            "buttons": [
                {"type": "reply", "reply": {"id": option.id, "title": title}}
                for option, title in zip(options, titles, strict=True)
            ]
        },
    }
    if footer:
        interactive["footer"] = {"text": footer}
    return {"type": "interactive", "interactive": interactive}


def _row(option: Option) -> dict[str, str]:
    row = {"id": option.id, "title": truncate(option.label, ROW_TITLE) or "-"}
    if option.description:
        row["description"] = truncate(option.description, ROW_DESCRIPTION)
    return row


def page_count(options: tuple[Option, ...]) -> int:
    if len(options) <= MAX_ROWS:
        return 1
    return -(-len(options) // PAGE_ROWS)


def _page_rows(options: tuple[Option, ...], page: int, t: Translator) -> list[dict[str, str]]:
    if len(options) <= MAX_ROWS:
        return [_row(o) for o in options]
    pages = page_count(options)
    page = min(max(page, 0), pages - 1)
    rows = [_row(o) for o in options[page * PAGE_ROWS : (page + 1) * PAGE_ROWS]]
    if page + 1 < pages:
        rows.append(
            {
                "id": f"{PAGE_PREFIX}{page + 1}",
                "title": truncate(t("Berikutnya »"), ROW_TITLE),
                "description": truncate(
                    t("Pilihan lain (halaman {page} dari {pages})", page=page + 2, pages=pages),
                    ROW_DESCRIPTION,
                ),
            }
        )
    else:
        rows.append({"id": f"{PAGE_PREFIX}0", "title": truncate(t("« Kembali ke awal"), ROW_TITLE)})
    return rows


def _list(body: str, reply: Reply, footer: str | None, page: int, t: Translator) -> Message:
    section: dict[str, Any] = {"rows": _page_rows(reply.options, page, t)}
    title = reply.extra.get("section_title")
    if isinstance(title, str) and title.strip():
        section["title"] = truncate(title, SECTION_TITLE)
    label = reply.extra.get("list_button")
    button = truncate(
        label if isinstance(label, str) and label.strip() else t("Pilih"), LIST_BUTTON
    )
    pages = page_count(reply.options)
    if footer is None and pages > 1:
        shown = min(max(page, 0), pages - 1) + 1
        footer = truncate(t("Halaman {page} dari {pages}", page=shown, pages=pages), FOOTER)
    interactive: dict[str, Any] = {
        "type": "list",
        "body": {"text": body},
        "action": {"button": button, "sections": [section]},
    }
    if footer:
        interactive["footer"] = {"text": footer}
    return {"type": "interactive", "interactive": interactive}


def render(reply: Reply, t: Translator) -> list[Message]:
    """The messages to send for one Reply, in order."""
    text = reply.text.strip()
    if not reply.options:
        return [text_message(piece) for piece in split_text(text or "-")]
    messages: list[Message] = []
    body = text
    if len(text) > INTERACTIVE_BODY or not text:
        messages.extend(text_message(piece) for piece in split_text(text) if piece)
        body = t("Silakan pilih:")
    footer = truncate(reply.footer, FOOTER) if reply.footer else None
    page = reply.extra.get(PAGE_KEY)
    page = page if isinstance(page, int) else 0
    if len(reply.options) <= MAX_BUTTONS:
        messages.append(_buttons(body, reply.options, footer))
    else:
        messages.append(_list(body, reply, footer, page, t))
    return messages


def template_message(name: str, language: str, params: list[str]) -> Message:
    """An approved template with its body parameters (ours: just the case reference)."""
    parameters = [{"type": "text", "text": truncate(value, 1024) or "-"} for value in params]
    return {
        "type": "template",
        "template": {
            "name": name,
            "language": {"code": language},
            "components": [{"type": "body", "parameters": parameters}],
        },
    }
