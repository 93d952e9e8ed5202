"""How a case is shown to staff: the assignment summary (no personal details) and the full view.

The summary goes to whoever is offered a case and to alerts: reference, categories, kelurahan,
priority, victim age group, how long ago it was reported. Never the reporter or the description.
The full view is for the accepted assignee, coordinators and the Dinas, and is audited (`viewed`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from bot.cases import vocabulary
from bot.cases.buttons import CaseVerb, case_button
from bot.core.i18n import Translator
from bot.messaging.messages import Option, Reply
from models import Case, CasePriority, CaseSource


class CaseSummary(Protocol):
    """What the summary shows: a `models.Case`, or the sweep's lighter record of one."""

    @property
    def id(self) -> int: ...
    @property
    def reference(self) -> str: ...
    @property
    def priority(self) -> str: ...
    @property
    def categories(self) -> list[str]: ...
    @property
    def victim_age_group(self) -> str | None: ...
    @property
    def created_at(self) -> datetime: ...


def status_label(t: Translator, status: str) -> str:
    return vocabulary.STATUSES.label(t, status)


def priority_label(t: Translator, priority: str) -> str:
    return vocabulary.PRIORITIES.label(t, priority)


def categories_text(t: Translator, case: CaseSummary) -> str:
    return vocabulary.CATEGORIES.labels(t, case.categories)


def ago(t: Translator, then: datetime, now: datetime) -> str:
    minutes = max(0, int((now - then).total_seconds() // 60))
    if minutes < 2:
        return t("baru saja")
    if minutes < 60:
        return t("{n} menit lalu", n=minutes)
    if minutes < 48 * 60:
        return t("{n} jam lalu", n=minutes // 60)
    return t("{n} hari lalu", n=minutes // (24 * 60))


def summary_lines(t: Translator, case: CaseSummary, now: datetime, kelurahan: str) -> list[str]:
    return [
        t("Kasus {ref}", ref=case.reference),
        t("Prioritas: {priority}", priority=priority_label(t, case.priority)),
        t("Jenis: {categories}", categories=categories_text(t, case)),
        t("Kelurahan: {name}", name=kelurahan),
        t("Usia korban: {age}", age=vocabulary.AGE_GROUPS.label(t, case.victim_age_group)),
        t("Dilaporkan: {ago}", ago=ago(t, case.created_at, now)),
    ]


def assignment_reply(case: CaseSummary, language: str, now: datetime, kelurahan: str) -> Reply:
    t = Translator(language)
    head = t("Ada laporan baru untuk Anda.")
    if case.priority == CasePriority.DARURAT:
        head = t("DARURAT: ada laporan yang perlu segera ditangani.")
    lines = [head, "", *summary_lines(t, case, now, kelurahan), ""]
    lines.append(t("Terima untuk melihat rinciannya, atau Tolak dengan alasan."))
    return Reply(
        text="\n".join(lines),
        options=(
            Option(case_button(CaseVerb.ACCEPT, case.id), t("Terima")),
            Option(case_button(CaseVerb.DECLINE, case.id), t("Tolak")),
        ),
    )


def darurat_alert_reply(case: Case, language: str, now: datetime, kelurahan: str) -> Reply:
    t = Translator(language)
    lines = [
        t("Peringatan DARURAT: laporan baru di wilayah Anda."),
        "",
        *summary_lines(t, case, now, kelurahan),
    ]
    return Reply(
        text="\n".join(lines),
        options=(Option(case_button(CaseVerb.SHOW, case.id), t("Lihat kasus")),),
    )


def detail_text(t: Translator, case: Case, now: datetime, kelurahan: str) -> str:
    """Everything a responsible person needs, except the reporter's contact (the relay is for that)."""
    evidence = case.evidence if isinstance(case.evidence, list) else []
    lines = [
        *summary_lines(t, case, now, kelurahan),
        t("Status: {status}", status=status_label(t, case.status)),
        t("Jenis kelamin korban: {sex}", sex=vocabulary.SEXES.label(t, case.victim_sex)),
        t("Lokasi: {detail}", detail=case.location_detail or "-"),
        t("Waktu kejadian: {when}", when=vocabulary.WHEN.label(t, case.incident_when)),
        t("Tempat kejadian: {place}", place=vocabulary.PLACES.label(t, case.place)),
        t(
            "Hubungan pelaku: {relation}",
            relation=vocabulary.RELATIONS.label(t, case.perpetrator_relation),
        ),
        *_victim_extra(t, case),
        t("Sumber: {source}", source=vocabulary.CASE_SOURCES.label(t, case.source)),
        *_reporter_lines(t, case),
        t("Bukti terlampir: {n}", n=len(evidence)),
        "",
        t("Cerita pelapor:"),
        case.description or "-",
    ]
    if case.outcome:
        lines += ["", t("Hasil: {outcome}", outcome=case.outcome)]
    return "\n".join(lines)


def _victim_extra(t: Translator, case: Case) -> list[str]:
    lines = []
    if case.victim_age_years is not None:
        lines.append(t("Usia korban (tahun): {n}", n=case.victim_age_years))
    if case.victim_disability is not None:
        answer = t("ya") if case.victim_disability else t("tidak")
        lines.append(t("Korban penyandang disabilitas: {answer}", answer=answer))
    return lines


def _reporter_lines(t: Translator, case: Case) -> list[str]:
    """A resident's role and consent, or who told the cadre, how, and their contact if given."""
    if case.source != CaseSource.DICATAT_KADER:
        return [
            t("Pelapor: {role}", role=vocabulary.REPORTER_ROLES.label(t, case.reporter_role)),
            t(
                "Pelapor bersedia dihubungi: {answer}",
                answer=t("ya") if case.contact_consent else t("tidak"),
            ),
        ]
    lines = [
        t(
            "Yang memberi tahu kader: {teller} ({means})",
            teller=vocabulary.SOURCE_TELLERS.label(t, case.source_teller),
            means=vocabulary.SOURCE_MEANS.label(t, case.source_means),
        ),
        t(
            "Sumber bersedia dihubungi kader: {answer}",
            answer=t("ya") if case.source_consent else t("tidak"),
        ),
    ]
    contact = case.source_contact if isinstance(case.source_contact, dict) else {}
    if contact:
        lines.append(
            t(
                "Kontak sumber: {name} {phone}",
                name=contact.get("name") or "-",
                phone=contact.get("phone") or "",
            ).rstrip()
        )
    return lines
