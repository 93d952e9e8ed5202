"""The dashboard's HTML: one small stylesheet inline, no script, every value escaped.

Figure tables carry `data-block` (their heading, as `patbm stats` prints it) so the browser
tests compare them with the terminal's tables row by row.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from bot.cases import vocabulary
from bot.casework.followup import FollowUpCounts
from bot.core.i18n import Translator
from bot.reporting.dashboard.charts import bar_chart
from bot.reporting.dashboard.queries import OpenCase
from bot.reporting.stats import Stats, capital, shares
from bot.reporting.stats_text import measures
from models import FollowUpAnswer

STYLE = """
body{font-family:system-ui,sans-serif;margin:0;padding:0 12px 24px;color:#1d2a33;max-width:960px}
header{border-bottom:3px solid #2f6f9f;margin-bottom:12px}h1{font-size:1.3em}h2{font-size:1.1em}
table{border-collapse:collapse;width:100%;margin:6px 0 14px;font-size:.95em}
th,td{border-bottom:1px solid #dde3e8;padding:4px 6px;text-align:left}td.n{text-align:right}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(300px,1fr));gap:0 24px}
.key{display:flex;flex-wrap:wrap;gap:8px}.key div{background:#eef4f8;padding:8px 12px;border-radius:6px}
.key b{display:block;font-size:1.4em}.late{color:#b00020;font-weight:bold}
form.period{display:flex;flex-wrap:wrap;gap:8px;align-items:end;margin:8px 0}
.note{color:#5a6b78;font-size:.9em}.wide{overflow-x:auto}svg.chart{max-width:100%}
@media (max-width:480px){.grid{grid-template-columns:1fr}th,td{padding:3px 4px}}
"""


def page(t: Translator, title: str, body: str) -> str:
    return (
        f'<!doctype html><html lang="{t.language}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head>"
        f"<body>{body}</body></html>"
    )


def refusal_page(t: Translator) -> str:
    text = t(
        "Akses ditolak. Tautan ini tidak berlaku (sudah dipakai, kedaluwarsa atau bukan untuk "
        "Anda), atau sesi Anda sudah berakhir. Kirim /dasbor di chat PATBM untuk tautan baru."
    )
    return page(
        t, t("Akses ditolak"), f"<h1>{escape(t('Akses ditolak'))}</h1><p>{escape(text)}</p>"
    )


def login_page(t: Translator, token: str) -> str:
    # A button, not an automatic sign-in: link previews of chat apps open the URL too, and
    # must not use up the one-time link.
    body = (
        f"<h1>{escape(t('Dasbor PATBM'))}</h1>"
        f'<form method="post" action="/dashboard/login">'
        f'<input type="hidden" name="t" value="{escape(token)}">'
        f'<button type="submit" id="masuk">{escape(t("Buka dasbor"))}</button></form>'
    )
    return page(t, t("Dasbor PATBM"), body)


def _figures(heading: str, items: Sequence[tuple[str, int]], total: int, colour: str) -> str:
    rows = "".join(
        f'<tr><td>{escape(label)}</td><td class="n">{n}</td><td class="n">{share}</td></tr>'
        for label, n, share in shares(items, total)
    )
    return (
        f"<section><h2>{escape(heading)}</h2>{bar_chart(heading, items, colour)}"
        f'<table class="figures" data-block="{escape(heading)}">{rows}</table></section>'
    )


def _open_list(t: Translator, cases: Sequence[OpenCase]) -> str:
    if not cases:
        return f"<p>{escape(t('Tidak ada kasus terbuka.'))}</p>"
    head = "".join(
        f"<th>{escape(h)}</th>"
        for h in (t("Nomor"), t("Kelurahan/desa"), t("Status"), t("Hari terbuka"), t("Petugas"))
    )
    rows = []
    for c in cases:
        late = f' <span class="late">{escape(t("terlambat"))}</span>' if c.overdue else ""
        status = capital(vocabulary.STATUSES.label(t, c.status))
        rows.append(
            f'<tr class="open-case"><td>{escape(c.reference)}{late}</td><td>{escape(c.kelurahan)}'
            f'</td><td>{escape(status)}</td><td class="n">{c.days_open}</td>'
            f"<td>{escape(c.assignee or '-')}</td></tr>"
        )
    return f'<div class="wide"><table id="open-cases"><tr>{head}</tr>{"".join(rows)}</table></div>'


def _followups(t: Translator, counts: FollowUpCounts) -> str:
    if not counts.asked and not counts.skipped:
        return ""
    labels = {
        FollowUpAnswer.YA: t("Ya"),
        FollowUpAnswer.SEBAGIAN: t("Sebagian"),
        FollowUpAnswer.TIDAK: t("Tidak"),
        FollowUpAnswer.LEWATI: t("Lewati"),
    }
    items = [(t("Ditanya"), counts.asked), (t("Menjawab"), counts.answered)]
    items += [(labels.get(a, a), counts.by_answer.get(a, 0)) for a in FollowUpAnswer.ALL]
    title = t("Tindak lanjut pelapor setelah kasus ditutup")
    return _figures(title, items, counts.asked, "#6b8e23")


def main_page(
    t: Translator,
    *,
    who: str,
    stats: Stats,
    cases: Sequence[OpenCase],
    followups: FollowUpCounts,
    query: str,
    month: str,
    csrf: str,
) -> str:
    scope = stats.scope or t("seluruh kota/kabupaten")
    key = "".join(
        f'<div class="measure"><span>{escape(label)}</span><b>{escape(value)}</b>'
        f"<small>{escape(of)}</small></div>"
        for label, value, of in [
            (t("Jumlah kasus"), str(stats.total), stats.period),
            *measures(stats),
        ]
    )
    blocks = [
        (t("Status"), stats.by_status, "#2f6f9f"),
        (t("Kecamatan"), stats.by_kecamatan, "#4f81bd"),
        (t("Kelurahan/desa"), stats.by_kelurahan, "#4f81bd"),
        (t("Bentuk kekerasan"), stats.by_category, "#c0504d"),
        (t("Kelompok umur korban"), stats.by_age_group, "#8064a2"),
        (t("Jenis kelamin korban"), stats.by_sex, "#8064a2"),
        (t("Prioritas"), stats.by_priority, "#f79646"),
        (t("Sumber informasi"), stats.by_source, "#9bbb59"),
    ]
    figures = "".join(_figures(h, items, stats.total, c) for h, items, c in blocks)
    body = f"""
<header><h1>{escape(t("Dasbor PATBM"))}: {escape(scope)}</h1>
<p>{escape(who)} · {escape(t("Periode"))}: <b id="period">{escape(stats.period)}</b></p></header>
<form class="period" method="get" action="/dashboard">
<label>{escape(t("Bulan"))}<br><input type="month" name="bulan" value="{escape(month)}"></label>
<label>{escape(t("Dari"))}<br><input type="date" name="dari"></label>
<label>{escape(t("Sampai"))}<br><input type="date" name="sampai"></label>
<button type="submit">{escape(t("Tampilkan"))}</button></form>
<div class="key">{key}</div>
<p class="note">{escape(t("Tenggat terpenuhi: kasus yang tidak pernah melewati tenggat (tidak terlambat diterima, tidak dieskalasi, tidak lewat batas waktu)."))}</p>
<h2>{escape(t("Kasus terbuka dan terlambat"))}</h2>{_open_list(t, cases)}
<div class="grid">{figures}</div>{_followups(t, followups)}
<h2>{escape(t("Unduh"))}</h2>
<p class="note">{escape(t("Ekspor SIMFONI-PPA periode ini, tanpa data pribadi."))}</p>
<p><a id="export-xlsx" href="/dashboard/ekspor.xlsx?{escape(query)}">XLSX</a> ·
<a id="export-csv" href="/dashboard/ekspor.csv?{escape(query)}">CSV</a></p>
<form method="post" action="/dashboard/logout"><input type="hidden" name="csrf" value="{escape(csrf)}">
<button type="submit" id="keluar">{escape(t("Keluar"))}</button></form>"""
    return page(t, t("Dasbor PATBM"), body)
