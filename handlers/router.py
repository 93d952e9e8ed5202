"""Which handler gets an inbound message: a command, a button's prefix, the current flow, or the welcome."""

from __future__ import annotations

# Every conversation module registers its commands, buttons and flows when imported; importing
# them all here, by name, makes this module the one place that decides what the bot can do.
# Each command has one owner (/start is handlers.linking's).
from bot.evidence.rules import EVIDENCE_KINDS
from bot.messaging.messages import Inbound
from handlers import dashboard, followup, general, intake, linking, relay, report, staff, status
from handlers.base import COMMANDS, FLOWS, OPTION_PREFIXES, STAFF_COMMANDS, Turn

HANDLER_MODULES = (general, report, status, staff, relay, linking, followup, dashboard, intake)
# A contact shared outside any flow is a staff member linking their account (handlers.linking).
CONTACT_FLOW = "linking"


# Typed without the slash, these words mean the command wherever the user is in a flow.
PLAIN_WORD_COMMANDS = {"batal": "/batal", "cancel": "/batal"}


async def route(turn: Turn) -> None:
    inbound = turn.inbound
    name = inbound.command
    if name is None and turn.state.flow is not None and inbound.text:
        name = PLAIN_WORD_COMMANDS.get(inbound.text.strip().strip(".!").lower())
    if name is not None:
        handler = COMMANDS.get(name)
        if handler is None:
            await general.unknown_command(turn)
        elif name in STAFF_COMMANDS and turn.staff is None:
            await general.staff_only(turn)
        else:
            await handler(turn)
        return
    if inbound.option is not None:
        prefix = inbound.option.split(":", 1)[0]
        option_handler = OPTION_PREFIXES.get(prefix)
        if option_handler is None:
            await general.stale_option(turn)
        else:
            await option_handler(turn)
        return
    if inbound.contact is not None and await linking.link_own_contact(turn):
        # A staff member's own number links at any point of any flow (the draft is dropped).
        return
    flow = turn.state.flow
    if inbound.unusable or (flow is None and _unusable_media(inbound)):
        # An order, an unsupported type, a sticker: said kindly, never taken for a greeting.
        await general.unusable(turn)
        return
    if flow is not None and flow in FLOWS:
        await FLOWS[flow](turn)
        return
    if flow is not None:
        # A flow whose code is gone (an older version's state): start over kindly.
        turn.state.reset()
    if inbound.contact is not None and CONTACT_FLOW in FLOWS:
        await FLOWS[CONTACT_FLOW](turn)
        return
    await general.welcome(turn)


def _unusable_media(inbound: Inbound) -> bool:
    # Inside a report the flow answers a sticker itself (handlers.report.media).
    return inbound.media is not None and inbound.media.kind not in EVIDENCE_KINDS
