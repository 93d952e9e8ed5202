"""People read words, never codes: every view of a case with every field set, in id and en.

The staff case view (full and summary), the resident's summary, a coordinator's digest, a
cadre's reminder, the statistics and the export are rendered for one case whose every coded
field is set, and no stored code may show: no `rumah_tangga`, `tetangga_saksi`, `today`, no
lone `p`, no `13-17` where the label is "13–17 tahun", no lower-case `darurat`.
"""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest

from bot.admin.staff import add_staff
from bot.cases import vocabulary
from bot.cases.texts import assignment_reply, darurat_alert_reply, detail_text
from bot.core.app import App
from bot.core.i18n import Translator
from bot.reporting.digest import digest_text_for
from bot.reporting.export import write_csv
from bot.reporting.facts import Period, load_case_rows
from bot.reporting.stats import gather_stats
from bot.reporting.stats_text import render
from handlers.report.areas import AreaIndex, Place
from handlers.report.context import Ctx
from handlers.report.summary import summary_text
from models import Case, CasePriority, CaseStatus
from tests.support.factories import KECAMATAN, KELURAHAN, jambi, make_case

CATEGORIES = ["fisik", "perkawinan_anak", "tppo", "penelantaran"]
FIELDS = {
    "victim_age_group": "13-17",
    "victim_sex": "p",
    "incident_when": "today",
    "place": "rumah_tangga",
    "perpetrator_relation": "tetangga",
    "reporter_role": "tetangga_saksi",
}
# Codes whose text differs from every word shown for them, as a person would spot them.
RAW = re.compile(
    r"\b(?:\w+_\w+|today)\b"
    # a bare code as the whole value after "Label:" or in a list ("Jenis: fisik, psikis")
    r"|(?:^|:|,)[ \t]*(?:fisik|tppo|ditangani|darurat|unk|[pPlL])[ \t]*(?=,|$)",
    re.MULTILINE,
)
# The age group's code; the export writes SIMFONI's "13-17 tahun" on purpose.
RAW_AGE = re.compile(r"\b13-17\b(?! tahun)")


def _no_codes(text: str) -> None:
    found = [m.group(0) for m in RAW.finditer(text)] + RAW_AGE.findall(text)
    assert not found, f"codes {found} in:\n{text}"


async def _seed(app: App) -> Case:
    now = app.clock.now()
    async with app.db.transaction() as session:
        await jambi(session)
        cadre = await add_staff(session, "Siti Kader", "081200000101", "kader", KELURAHAN, now)
        case = make_case(
            now - timedelta(days=3), status=CaseStatus.DITANGANI, priority=CasePriority.DARURAT
        )
        case.categories = CATEGORIES
        for name, value in FIELDS.items():
            setattr(case, name, value)
        case.assignee_id = cadre.id
        case.accepted_at = now - timedelta(days=2)
        session.add(case)
        await session.flush()
        session.expunge(case)
        return case


def _areas() -> AreaIndex:
    kec = Place(KECAMATAN, "Telanaipura", "15.71")
    return AreaIndex(
        "15.71", "Kota Jambi", [kec], {KECAMATAN: [Place(KELURAHAN, "Simpang IV Sipin", KECAMATAN)]}
    )


@pytest.mark.parametrize("language", ["id", "en"])
async def test_no_code_reaches_a_person_in_any_view_of_a_case(app: App, language: str) -> None:
    case = await _seed(app)
    t = Translator(language)
    now = app.clock.now()
    staff_views = {
        "detail": detail_text(t, case, now, "Simpang IV Sipin"),
        "summary": assignment_reply(case, language, now, "Simpang IV Sipin").text,
        "alert": darurat_alert_reply(case, language, now, "Simpang IV Sipin").text,
    }
    for text in staff_views.values():
        _no_codes(text)
    detail = staff_views["detail"]
    for code in CATEGORIES:
        assert vocabulary.CATEGORIES.label(t, code) in staff_views["summary"]
    words = {
        "id": ["Perempuan", "Pada hari laporan", "Rumah tangga", "Tetangga", "Tetangga/saksi"],
        "en": ["Female", "On the day of the report", "Home", "Neighbour", "Neighbour/witness"],
    }[language]
    for word in words:
        assert word in detail, word
    assert ("13–17 tahun" if language == "id" else "13–17 years") in detail

    draft = {
        "danger": True,
        "cat": CATEGORIES,
        "age": "13-17",
        "sex": "p",
        "kec": KECAMATAN,
        "kel": KELURAHAN,
        "loc": "RT 03",
        "when": "today",
        "desc": "cerita",
        "place": "rumah_tangga",
        "rel": "tetangga",
        "role": "tetangga_saksi",
    }
    _no_codes(summary_text(draft, Ctx(t=t, areas=_areas())))

    async with app.db.transaction() as session:
        coordinator = await add_staff(
            session, "Pak Koordinator", "081200000102", "koordinator_kecamatan", KECAMATAN, now
        )
        coordinator.language = language
        cadre = await session.get(type(coordinator), case.assignee_id)
        assert cadre is not None
        cadre.language = language
        digest = await digest_text_for(session, coordinator, now, app.settings)
        reminder = await digest_text_for(session, cadre, now, app.settings)
        gathered = await gather_stats(
            session, Period(), now=now, describe="2026-11", language=language
        )
    assert case.reference in reminder
    _no_codes(digest)
    _no_codes(reminder)

    stats = render(gathered)
    _no_codes(stats)
    assert vocabulary.CATEGORIES.label(t, "perkawinan_anak") in stats


async def test_the_export_speaks_simfoni_words_not_codes(app: App) -> None:
    await _seed(app)
    async with app.db.transaction() as session:
        rows = await load_case_rows(session, Period())
    out = io.StringIO()
    write_csv(rows, out, app.settings.zone)
    body = out.getvalue().split("\n", 1)[1]
    _no_codes(body)
    for word in ("Fisik", "Perkawinan Anak", "Trafficking (TPPO)", "Rumah Tangga", "Perempuan"):
        assert word in body


def test_an_unknown_code_is_shown_not_dropped() -> None:
    t = Translator("id")
    assert vocabulary.PLACES.label(t, "kebun_sawit") == "kebun sawit"
    assert vocabulary.PLACES.label(t, None) == "-"
    assert vocabulary.SEXES.label(t, "P") == "Perempuan"  # stored upper-case by older rows
    assert vocabulary.CATEGORIES.simfoni_list(["tppo", "perdagangan_orang"]) == [
        "Trafficking (TPPO)"
    ]


@pytest.mark.parametrize(
    "table", [v for v in vars(vocabulary).values() if isinstance(v, vocabulary.Vocabulary)]
)
def test_every_word_has_english(table: vocabulary.Vocabulary) -> None:
    from bot.core.i18n import _catalog

    english = _catalog("en")
    for term in table.terms.values():
        for msgid in (term.label, term.answer):
            assert msgid is None or english.get(msgid), msgid
