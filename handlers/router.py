"""Which handler gets an inbound message: a command, a button's prefix, the current flow, or the welcome.

build_table() is the one place that says what the bot can do: every command, button prefix and
flow, by the handler's name.
"""

from __future__ import annotations

from bot.casework.followup import PREFIX as FOLLOWUP_PREFIX
from bot.evidence.rules import EVIDENCE_KINDS
from bot.messaging.messages import Inbound
from handlers import dashboard, followup, general, linking, relay, status
from handlers.base import ButtonPrefix, Command, Entry, Flow, HandlerTable, Turn
from handlers.intake import flow as intake
from handlers.intake import labels as intake_labels
from handlers.report import flow as report
from handlers.report import labels as report_labels
from handlers.staff import buttons as staff_buttons
from handlers.staff import commands as staff_commands
from handlers.staff import inputs as staff_inputs
from handlers.staff.common import INPUT_FLOW as STAFF_INPUT_FLOW


def build_table(*extra: Entry) -> HandlerTable:
    """The whole table; `extra` adds entries (tests), and any name listed twice is refused."""
    return HandlerTable.of(
        # Each command has one owner: /start is handlers.linking's (it also takes an invite code).
        Command(linking.start, "/start"),
        Command(linking.register, "/daftar"),
        Command(general.start_command, "/lapor", "/mulai"),
        Command(general.help_command, "/bantuan", "/help"),
        Command(general.language_command, "/bahasa", "/language"),
        Command(general.cancel_command, "/batal", "/cancel"),
        Command(status.status_command, "/status", "/cek"),
        Command(relay.stop_command, "/stop"),
        Command(dashboard.dashboard_link, "/dasbor", "/dashboard"),
        Command(dashboard.export_month, "/ekspor", "/export"),
        Command(dashboard.stats_month, "/statistik", "/stats"),
        Command(staff_commands.cases_command, "/kasus", staff_only=True),
        Command(staff_commands.off_duty, "/libur", staff_only=True),
        Command(staff_commands.on_duty, "/aktif", staff_only=True),
        Command(staff_commands.digest_now, "/ringkasan", staff_only=True),
        ButtonPrefix(general.general_option, "g"),
        ButtonPrefix(report.on_option, report_labels.PREFIX),
        ButtonPrefix(intake.on_option, intake_labels.PREFIX),
        ButtonPrefix(staff_buttons.pressed_case_button, "k"),
        ButtonPrefix(relay.relay_button, "rl"),
        ButtonPrefix(followup.on_answer, FOLLOWUP_PREFIX),
        Flow(report.on_input, report_labels.FLOW),
        Flow(intake.on_input, intake_labels.FLOW),
        Flow(status.status_input, status.FLOW),
        Flow(staff_inputs.staff_input, STAFF_INPUT_FLOW),
        Flow(relay.relay_answer, relay.RELAY_FLOW),
        Flow(followup.on_note, followup.FLOW),
        Flow(linking.linking_flow, linking.FLOW),
        *extra,
    )


# Built once, when the bot starts: a name claimed twice stops it there.
HANDLERS = build_table()
# A contact shared outside any flow is a staff member linking their account (handlers.linking).
CONTACT_FLOW = linking.FLOW


# Typed without the slash, these words mean the command wherever the user is in a flow.
PLAIN_WORD_COMMANDS = {"batal": "/batal", "cancel": "/batal"}


async def route(turn: Turn) -> None:
    inbound = turn.inbound
    table = turn.handlers
    name = inbound.command
    if name is None and turn.state.flow is not None and inbound.text:
        name = PLAIN_WORD_COMMANDS.get(inbound.text.strip().strip(".!").lower())
    if name is not None:
        handler = table.commands.get(name)
        if handler is None:
            await general.unknown_command(turn)
        elif name in table.staff_commands and turn.staff is None:
            await general.staff_only(turn)
        else:
            await handler(turn)
        return
    if inbound.option is not None:
        prefix = inbound.option.split(":", 1)[0]
        option_handler = table.option_prefixes.get(prefix)
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
    flow_handler = table.flows.get(flow) if flow is not None else None
    if flow_handler is not None:
        await flow_handler(turn)
        return
    if flow is not None:
        # A flow whose code is gone (an older version's state): start over kindly.
        turn.state.reset()
    contact_handler = table.flows.get(CONTACT_FLOW)
    if inbound.contact is not None and contact_handler is not None:
        await contact_handler(turn)
        return
    await general.welcome(turn)


def _unusable_media(inbound: Inbound) -> bool:
    # Inside a report the flow answers a sticker itself (handlers.report.media).
    return inbound.media is not None and inbound.media.kind not in EVIDENCE_KINDS
