"""The one vocabulary of a case: stored code -> the words people read, in their language.

Cases store short codes (`rumah_tangga`, `tetangga_saksi`, `today`, `p`); no code ever reaches
a person. Each code has three wordings:

- `label`: what staff views, digests, stats and audit trails say (an Indonesian msgid,
  translated through the catalogs like every text: bot/core/locale/en/LC_MESSAGES/vocabulary.po);
- `answer`: the resident's button in the report flow, where the question shapes the words
  ("Siapa Anda bagi korban?" -> "Saya korban"; the staff view says "Korban sendiri"); the label
  when not given;
- `simfoni`: the word of SIMFONI-PPA, the national recording system the Dinas copies cases
  into (exports; Indonesian only, that system's own terms); the label when not given.

"When" is stored relative to the report ("today"), so its label says so ("Pada hari laporan"):
a cadre reading it days later must not take "Hari ini" for their own today. A code this module
does not know (an older version's) is shown with spaces for underscores, never dropped.
Handlers import from here (handlers/report/labels.py); bot/ never imports handlers.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bot.core.i18n import N_, Translator


@dataclass(frozen=True)
class Term:
    label: str
    answer: str | None = None
    simfoni: str | None = None


class Vocabulary:
    """The terms of one field, in the order the report flow offers them."""

    def __init__(self, terms: dict[str, Term], aliases: dict[str, str] | None = None) -> None:
        self.terms = terms
        # Older or SIMFONI spellings of a code ("rumah" for "rumah_tangga").
        self.aliases = aliases or {}

    def codes(self) -> tuple[str, ...]:
        return tuple(self.terms)

    def term(self, code: str | None) -> Term | None:
        if not code:
            return None
        key = code.strip().lower()
        return self.terms.get(self.aliases.get(key, key))

    def answers(self) -> dict[str, str]:
        """code -> msgid of the resident's answer (the report flow's options)."""
        return {code: term.answer or term.label for code, term in self.terms.items()}

    def label(self, t: Translator, code: str | None, empty: str = "-") -> str:
        if not code:
            return empty
        term = self.term(code)
        return t(term.label) if term is not None else humanise(code)

    def labels(self, t: Translator, codes: Iterable[str] | None, empty: str = "-") -> str:
        return ", ".join(self.label(t, code) for code in codes or ()) or empty

    def simfoni(self, code: str | None) -> str:
        """SIMFONI-PPA's word ("" for no code: an empty cell in an export)."""
        if not code:
            return ""
        term = self.term(code)
        if term is None:
            return humanise(code)
        return term.simfoni or term.label

    def simfoni_list(self, codes: Iterable[str]) -> list[str]:
        """Each SIMFONI word once, in the given order ("tppo" and "perdagangan_orang" are one)."""
        seen: list[str] = []
        for code in codes:
            text = self.simfoni(code)
            if text and text not in seen:
                seen.append(text)
        return seen


def humanise(code: str) -> str:
    return code.replace("_", " ").strip()


# Bentuk kekerasan (SIMFONI-PPA); perundungan and perkawinan anak are PATBM's own additions.
CATEGORIES = Vocabulary(
    {
        "fisik": Term(N_("Kekerasan fisik"), simfoni="Fisik"),
        "psikis": Term(N_("Kekerasan psikis"), simfoni="Psikis"),
        "seksual": Term(N_("Kekerasan seksual"), simfoni="Seksual"),
        "eksploitasi": Term(N_("Eksploitasi"), simfoni="Eksploitasi"),
        "tppo": Term(N_("Perdagangan orang (TPPO)"), simfoni="Trafficking (TPPO)"),
        "penelantaran": Term(N_("Penelantaran"), simfoni="Penelantaran"),
        "perundungan": Term(N_("Perundungan (bullying)"), simfoni="Perundungan"),
        "perkawinan_anak": Term(N_("Perkawinan anak"), simfoni="Perkawinan Anak"),
        "lainnya": Term(N_("Lainnya"), simfoni="Lainnya"),
    },
    {"perdagangan_orang": "tppo"},
)

# SIMFONI-PPA's age groups, in its order ("unk": not known).
AGE_GROUPS = Vocabulary(
    {
        "0-5": Term(N_("0–5 tahun"), simfoni="0-5 tahun"),
        "6-12": Term(N_("6–12 tahun"), simfoni="6-12 tahun"),
        "13-17": Term(N_("13–17 tahun"), simfoni="13-17 tahun"),
        "18-24": Term(N_("18–24 tahun"), simfoni="18-24 tahun"),
        "25-44": Term(N_("25–44 tahun"), simfoni="25-44 tahun"),
        "45-59": Term(N_("45–59 tahun"), simfoni="45-59 tahun"),
        "60+": Term(N_("60 tahun ke atas"), simfoni="60+ tahun"),
        "unk": Term(N_("Tidak diketahui"), answer=N_("Tidak tahu"), simfoni="Tidak Diketahui"),
    }
)

SEXES = Vocabulary(
    {
        "p": Term(N_("Perempuan"), simfoni="Perempuan"),
        "l": Term(N_("Laki-laki"), simfoni="Laki-laki"),
        "unk": Term(N_("Tidak diketahui"), answer=N_("Tidak tahu"), simfoni="Tidak Diketahui"),
    },
    {
        "perempuan": "p",
        "f": "p",
        "laki": "l",
        "laki-laki": "l",
        "laki_laki": "l",
        "m": "l",
        "tidak_tahu": "unk",
    },
)

# Stored relative to the day of the report, and said so to staff.
WHEN = Vocabulary(
    {
        "today": Term(N_("Pada hari laporan"), answer=N_("Hari ini")),
        "yesterday": Term(N_("Sehari sebelum laporan"), answer=N_("Kemarin")),
        "week": Term(N_("Dalam minggu laporan"), answer=N_("Minggu ini")),
        "older": Term(N_("Lebih dari seminggu sebelum laporan"), answer=N_("Lebih lama")),
        "ongoing": Term(N_("Masih berlangsung")),
    }
)

PLACES = Vocabulary(
    {
        "rumah_tangga": Term(N_("Rumah tangga"), simfoni="Rumah Tangga"),
        "sekolah": Term(N_("Sekolah"), simfoni="Sekolah"),
        "fasilitas_umum": Term(N_("Fasilitas umum"), simfoni="Fasilitas Umum"),
        "tempat_kerja": Term(N_("Tempat kerja"), simfoni="Tempat Kerja"),
        "lainnya": Term(N_("Lainnya"), simfoni="Lainnya"),
    },
    {"rumah": "rumah_tangga"},
)

RELATIONS = Vocabulary(
    {
        "orang_tua": Term(N_("Orang tua"), simfoni="Orang Tua"),
        "keluarga": Term(N_("Keluarga/saudara"), simfoni="Keluarga/Saudara"),
        "pasangan": Term(N_("Suami/istri"), simfoni="Suami/Istri"),
        "pacar_teman": Term(N_("Pacar/teman"), simfoni="Pacar/Teman"),
        "tetangga": Term(N_("Tetangga"), simfoni="Tetangga"),
        "guru": Term(N_("Guru"), simfoni="Guru"),
        "majikan": Term(N_("Majikan"), simfoni="Majikan"),
        "lainnya": Term(N_("Lainnya"), simfoni="Lainnya"),
        "tidak_tahu": Term(
            N_("Tidak diketahui"), answer=N_("Tidak tahu"), simfoni="Tidak Diketahui"
        ),
    },
    {"suami_istri": "pasangan"},
)

# Who reported, as the resident answers "Siapa Anda bagi korban?".
REPORTER_ROLES = Vocabulary(
    {
        "korban": Term(N_("Korban sendiri"), answer=N_("Saya korban")),
        "keluarga": Term(N_("Keluarga korban"), answer=N_("Keluarga")),
        "tetangga_saksi": Term(N_("Tetangga/saksi")),
        "guru_nakes": Term(N_("Guru/tenaga kesehatan")),
        "lainnya": Term(N_("Lainnya")),
    }
)

# Said inside a sentence ("Status: sedang ditangani"), hence lower case.
STATUSES = Vocabulary(
    {
        "baru": Term(N_("baru"), simfoni="Baru"),
        "ditugaskan": Term(N_("menunggu diterima"), simfoni="Ditugaskan"),
        "diterima": Term(N_("diterima"), simfoni="Diterima"),
        "ditangani": Term(N_("sedang ditangani"), simfoni="Ditangani"),
        "selesai": Term(N_("selesai"), simfoni="Selesai"),
        "ditutup": Term(N_("ditutup"), simfoni="Ditutup"),
        "dirujuk": Term(N_("dirujuk ke Dinas"), simfoni="Dirujuk"),
        "dibatalkan": Term(N_("dibatalkan"), simfoni="Dibatalkan"),
    }
)

PRIORITIES = Vocabulary(
    {
        "darurat": Term(N_("DARURAT"), simfoni="Darurat"),
        "biasa": Term(N_("biasa"), simfoni="Biasa"),
    }
)

STAFF_ROLES = Vocabulary(
    {
        "kader": Term(N_("Kader PATBM"), simfoni="Kader PATBM Kelurahan"),
        "koordinator_kecamatan": Term(N_("Koordinator kecamatan"), simfoni="Koordinator Kecamatan"),
        "dinas": Term(N_("Dinas PPPA"), simfoni="Dinas PPPA"),
        "admin": Term(N_("Admin"), simfoni="Administrator"),
    }
)

# How a case reached the programme (issue 18); SIMFONI-PPA's "sumber informasi".
CASE_SOURCES = Vocabulary(
    {
        "laporan_warga": Term(N_("Laporan warga lewat bot"), simfoni="Laporan Masyarakat"),
        "dicatat_kader": Term(N_("Dicatat kader PATBM"), simfoni="Penjangkauan Kader PATBM"),
    }
)

# Who told the cadre, as the cadre answers "Siapa yang memberi tahu Anda?".
SOURCE_TELLERS = Vocabulary(
    {
        "korban": Term(N_("Korban sendiri"), answer=N_("Korban")),
        "keluarga": Term(N_("Keluarga korban"), answer=N_("Keluarga")),
        "tetangga": Term(N_("Tetangga")),
        "sekolah": Term(N_("Sekolah/guru"), answer=N_("Sekolah")),
        "nakes": Term(N_("Tenaga kesehatan")),
        "polisi": Term(N_("Polisi")),
        "kader_melihat": Term(N_("Dilihat sendiri oleh kader"), answer=N_("Saya melihat sendiri")),
    }
)

SOURCE_MEANS = Vocabulary(
    {
        "langsung": Term(N_("Bertemu langsung")),
        "telepon": Term(N_("Lewat telepon")),
    }
)
