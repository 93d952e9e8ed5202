"""End to end over HTTP: a resident reports on WhatsApp, the cadre is assigned and accepts.

Webhook posts (signed, real payload shapes) go into the real HTTP app of `patbm run` in process
(httpx ASGITransport); the inbox processor and the outbox delivery worker run as in production;
replies reach the fake Graph API on 127.0.0.1, and the test presses the buttons and list rows
it finds there, as the person on the phone would.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from bot.admin.staff import add_staff, create_invite
from bot.channels.whatsapp.channel import setup
from bot.core.app import App
from bot.core.clock import FixedClock
from bot.messaging.delivery import DeliveryWorker
from bot.messaging.inbox import InboxProcessor
from bot.messaging.limits import RateLimiter
from bot.messaging.messages import Option, Reply
from bot.messaging.outbox import enqueue
from bot.runtime.dispatch import dispatch
from bot.runtime.wiring import DELIVERY_HOOKS, inbox_channels
from models import Case, CaseStatus, ChatIdentity, OutboxMessage
from tests.fakes import whatsapp_payloads as p
from tests.fakes.whatsapp_api import FakeWhatsAppAPI
from tests.support.report_support import KEC_TELANAIPURA, KEL_SIMPANG_IV_SIPIN, seed_areas
from tests.support.whatsapp_support import (
    ACCESS_TOKEN,
    add_identity,
    inbox_rows,
    post_values,
    webhook_client,
    whatsapp_app,
)

RESIDENT = "6281311112222"
CADRE = "6281200000001"


@dataclass
class Phone:
    """One WhatsApp user: posts webhooks, lets the system run, reads what reached them."""

    number: str
    client: httpx.AsyncClient
    fake: FakeWhatsAppAPI
    processor: InboxProcessor
    worker: DeliveryWorker
    seen: int = 0
    _counter: list[int] = field(default_factory=lambda: [0])

    def _wamid(self) -> str:
        self._counter[0] += 1
        return f"wamid.{self.number}.{self._counter[0]}"

    async def post(self, value: p.Value) -> None:
        response = await post_values(self.client, value)
        assert response.status_code == 200
        await run_system(self.processor, self.worker)

    async def say(self, text: str) -> None:
        await self.post(p.text_message(self._wamid(), self.number, text))

    def inbox(self) -> list[dict[str, Any]]:
        return self.fake.to(self.number)

    def new_texts(self) -> str:
        texts = self.fake.texts_to(self.number)
        fresh, self.seen = texts[self.seen :], len(texts)
        return "\n".join(fresh)

    def _prompts(self) -> list[dict[str, Any]]:
        """Messages with buttons or a list, newest first (a person scrolls up if they must)."""
        prompts = [m for m in self.inbox() if m["type"] == "interactive"]
        assert prompts, "no buttons or list reached this phone"
        return prompts[::-1]

    @staticmethod
    def _choices(prompt: dict[str, Any]) -> list[tuple[str, str]]:
        interactive = prompt["interactive"]
        if interactive["type"] == "button":
            return [
                (b["reply"]["id"], b["reply"]["title"]) for b in interactive["action"]["buttons"]
            ]
        rows = [r for s in interactive["action"]["sections"] for r in s["rows"]]
        return [(r["id"], r["title"]) for r in rows]

    def _find(
        self, needle: str
    ) -> tuple[dict[str, Any], list[tuple[str, str]], list[tuple[str, str]]]:
        for prompt in self._prompts():
            choices = self._choices(prompt)
            hits = [c for c in choices if c[0].split(":")[-1] == needle] or [
                c for c in choices if needle in c[1]
            ]
            if hits:
                return prompt, choices, hits
        latest = self._prompts()[0]
        return latest, self._choices(latest), []

    async def press(self, needle: str) -> None:
        """Press the choice whose id ends in `needle` (or whose title has it), paging if needed."""
        for _ in range(6):
            prompt, choices, hits = self._find(needle)
            if not hits:
                pages = [c for c in choices if c[0].startswith("wa:pg:") and c[0] != "wa:pg:0"]
                assert pages, f"{needle!r} not among {choices}"
                hits = pages
            option_id, title = hits[0]
            build = p.button_reply if prompt["interactive"]["type"] == "button" else p.list_reply
            await self.post(
                build(self._wamid(), self.number, option_id, title, context_id=prompt["_wamid"])
            )
            if not option_id.startswith("wa:pg:"):
                return
        raise AssertionError(f"{needle!r} not found on any page")


async def run_system(processor: InboxProcessor, worker: DeliveryWorker) -> None:
    """Handle everything stored and send everything queued, until both are quiet."""
    for _ in range(10):
        handled = await processor.process_all()
        sent = await worker.drain()
        if handled == 0 and sent.claimed == 0:
            return


@dataclass
class System:
    app: App
    fake: FakeWhatsAppAPI
    client: httpx.AsyncClient
    processor: InboxProcessor
    worker: DeliveryWorker

    def phone(self, number: str) -> Phone:
        return Phone(number, self.client, self.fake, self.processor, self.worker)


@pytest.fixture
async def system(app: App) -> AsyncIterator[System]:
    async with (
        FakeWhatsAppAPI(token=ACCESS_TOKEN, phone_number_id=p.PHONE_NUMBER_ID) as fake,
        httpx.AsyncClient() as http,
    ):
        wa = whatsapp_app(app, fake.url)
        sender = setup(wa, http)
        processor = InboxProcessor(wa, dispatch=dispatch, channels=inbox_channels())
        # No rate limits here: the limiter has its own tests and would sleep for real.
        worker = DeliveryWorker(
            wa, {"whatsapp": sender}, limiter=RateLimiter({}, 1.0), hooks=DELIVERY_HOOKS
        )
        async with webhook_client(wa) as client:
            yield System(wa, fake, client, processor, worker)


async def report_on_whatsapp(resident: Phone) -> str:
    """A whole report, answering as a resident would; returns the confirmation text."""
    await resident.say("Halo")
    await resident.press("n")  # nobody in danger right now
    await resident.press("fisik")
    await resident.press("ok")
    await resident.press("6-12")
    await resident.press("p")
    # All 11 kecamatan in one Reply; the WhatsApp list pages them 9 + 2 (Telanaipura is last).
    await resident.press(KEC_TELANAIPURA)
    await resident.press(KEL_SIMPANG_IV_SIPIN)
    await resident.say("RT 03 RW 02, dekat masjid")
    await resident.post(p.location_message(resident._wamid(), resident.number, -1.6101, 103.6131))
    await resident.press("today")
    await resident.say("Anak tetangga sering dipukul ayahnya.")
    await resident.post(p.image_message(resident._wamid(), resident.number, "880011"))
    await resident.press("rumah_tangga")
    await resident.press("orang_tua")
    await resident.press("tetangga_saksi")
    resident.new_texts()
    await resident.press("send")
    return resident.new_texts()


async def test_resident_reports_and_the_whatsapp_cadre_accepts(
    system: System, clock: FixedClock
) -> None:
    app, fake = system.app, system.fake
    await seed_areas(app)
    async with app.db.transaction() as session:
        cadre_staff = await add_staff(
            session, "Ani Kader", "0812-0000-0001", "kader", KEL_SIMPANG_IV_SIPIN, clock.now()
        )
    # The cadre linked their WhatsApp earlier (by number) and last wrote two days ago.
    await add_identity(
        app, CADRE, last_inbound_at=clock.now() - timedelta(days=2), staff_id=cadre_staff.id
    )
    resident, cadre = system.phone(RESIDENT), system.phone(CADRE)

    confirmation = await report_on_whatsapp(resident)
    assert "Nomor laporan" in confirmation
    async with app.db.transaction() as session:
        case = await session.scalar(select(Case))
    assert case is not None and case.channel == "whatsapp"
    assert case.reference in confirmation
    assert case.status == CaseStatus.DITUGASKAN and case.assignee_id == cadre_staff.id
    assert case.evidence and "880011" in str(case.evidence)
    assert case.location_point == {"lat": -1.6101, "lon": 103.6131}

    # Outside the cadre's window: only the template, with the reference and nothing else.
    (template,) = cadre.inbox()
    assert template["type"] == "template"
    assert template["template"]["components"][0]["parameters"][0]["text"] == case.reference
    assert "dipukul" not in str(template)
    async with app.db.transaction() as session:
        held = (
            await session.scalars(select(OutboxMessage).where(OutboxMessage.status == "held"))
        ).all()
    assert [(r.kind, r.case_id, r.chat_id) for r in held] == [("assignment", case.id, CADRE)]

    # The cadre opens the chat and writes: the held assignment arrives, and they accept it.
    clock.advance(timedelta(minutes=20))
    await cadre.say("Selamat pagi")
    assert case.reference in cadre.new_texts()
    await cadre.press("Terima")
    async with app.db.transaction() as session:
        accepted = await session.get(Case, case.id)
    assert accepted is not None and accepted.status == CaseStatus.DITERIMA
    assert "Terima kasih" in cadre.new_texts()

    # Nothing was refused by the API and every inbox row was handled once.
    assert fake.refused == []
    assert {r.status for r in await inbox_rows(app)} == {"done"}


async def test_the_same_webhook_twice_makes_one_effect(system: System) -> None:
    await seed_areas(system.app)
    resident = system.phone(RESIDENT)
    value = p.text_message("wamid.ONCE", RESIDENT, "Halo")
    await resident.post(value)
    first = len(resident.inbox())
    assert first >= 1
    await resident.post(value)  # WhatsApp retries the webhook
    assert len(resident.inbox()) == first
    assert len(await inbox_rows(system.app)) == 1

    # The delivery receipt of our answer is recorded on its outbox row.
    answer = resident.inbox()[-1]["_wamid"]
    await resident.post(p.status_update(answer, "delivered", RESIDENT))
    async with system.app.db.transaction() as session:
        row = await session.scalar(
            select(OutboxMessage).where(OutboxMessage.platform_message_id == answer)
        )
    assert row is not None and row.status == "sent" and row.delivered_at is not None


async def test_a_long_list_is_paged_by_the_channel_and_the_choice_reaches_the_flow(
    system: System,
) -> None:
    app = system.app
    now = app.clock.now()
    await add_identity(app, RESIDENT, last_inbound_at=now)
    options = tuple(Option(f"zz:{i}", f"Kelurahan nomor {i}") for i in range(25))
    async with app.db.transaction() as session:
        enqueue(
            session, channel="whatsapp", chat_id=RESIDENT, reply=Reply("Pilih", options), now=now
        )
    await run_system(system.processor, system.worker)
    resident = system.phone(RESIDENT)
    await resident.press("20")  # on the third page
    lists = [m["interactive"] for m in resident.inbox() if m["type"] == "interactive"]
    assert len(lists) == 3
    rows = [[r["id"] for r in page["action"]["sections"][0]["rows"]] for page in lists]
    assert rows[1][0] == "zz:9" and rows[1][-1] == "wa:pg:2"
    assert rows[2][-2:] == ["zz:24", "wa:pg:0"]
    handled = await inbox_rows(app)
    assert [r.status for r in handled] == ["done", "done", "done"]
    # The paging presses were answered by the channel alone; only the real choice reached the
    # conversation engine (whose answer comes after the pages).
    async with app.db.transaction() as session:
        kinds = [
            r.kind
            for r in (await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all()
        ]
    assert kinds[:3] == ["reply", "wa_page", "wa_page"] and len(kinds) >= 4
    assert "wa_page" not in kinds[3:]


async def test_a_telegram_cadre_is_assigned_a_whatsapp_report(system: System) -> None:
    app = system.app
    await seed_areas(app)
    now = app.clock.now()
    async with app.db.transaction() as session:
        staff = await add_staff(session, "Budi", "081200000002", "kader", KEL_SIMPANG_IV_SIPIN, now)
        session.add(
            ChatIdentity(
                channel="telegram",
                external_id="777",
                chat_id="777",
                staff_id=staff.id,
                created_at=now,
            )
        )
    await report_on_whatsapp(system.phone(RESIDENT))
    async with app.db.transaction() as session:
        case = await session.scalar(select(Case))
        rows = (
            await session.scalars(select(OutboxMessage).where(OutboxMessage.channel == "telegram"))
        ).all()
    assert case is not None and case.assignee_id == staff.id
    assert [r.kind for r in rows] == ["assignment"] and rows[0].chat_id == "777"


async def test_a_cadre_without_a_visible_number_links_with_the_invite_code(
    system: System,
) -> None:
    app = system.app
    await seed_areas(app)
    now = app.clock.now()
    async with app.db.transaction() as session:
        staff = await add_staff(
            session, "Citra", "081200000003", "kader", KEL_SIMPANG_IV_SIPIN, now
        )
        _staff, code = await create_invite(session, "081200000003", now)
    user_id = "ID.1410018717833190"  # a username user: no wa_id in the webhook
    phone = system.phone(user_id)
    await phone.post(p.text_message("wamid.U1", None, f"/start {code}", user_id=user_id))
    async with app.db.transaction() as session:
        identity = await session.scalar(
            select(ChatIdentity).where(ChatIdentity.external_id == user_id)
        )
    assert identity is not None and identity.staff_id == staff.id
    (answer,) = system.fake.to(user_id)
    assert answer["recipient"] == user_id and "to" not in answer
    # Linked, with the staff menu under the same message.
    assert "terhubung" in answer["interactive"]["body"]["text"]
    titles = [b["reply"]["title"] for b in answer["interactive"]["action"]["buttons"]]
    assert titles == ["Kasus saya", "Catat kasus"]


async def test_a_number_registered_as_staff_mid_report_links_at_the_next_message(
    system: System,
) -> None:
    app = system.app
    await seed_areas(app)
    resident = system.phone(RESIDENT)
    await resident.say("Halo")
    await resident.press("n")
    async with app.db.transaction() as session:
        staff = await add_staff(
            session, "Dewi", "+" + RESIDENT, "kader", KEL_SIMPANG_IV_SIPIN, app.clock.now()
        )
    resident.new_texts()
    await resident.press("fisik")  # any message, at any point of any flow
    async with app.db.transaction() as session:
        identity = await session.scalar(
            select(ChatIdentity).where(ChatIdentity.external_id == RESIDENT)
        )
    assert identity is not None and identity.staff_id == staff.id
    said = resident.new_texts()
    assert "sudah terhubung" in said and "tetap tersimpan" in said  # the draft is kept, and said
    await resident.press("ok")
    assert "Berapa kira-kira usia korban?" in resident.new_texts()
