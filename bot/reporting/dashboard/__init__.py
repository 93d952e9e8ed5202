"""The city office's dashboard: aggregates and references in a browser, signed in from chat.

- `tokens`: one-time links (`/dasbor`) and server-side sessions, stored as hashes only.
- `cookies`: the signed session cookie and the CSRF token of the forms.
- `access`: who may see what (role and area from the database on every request).
- `queries`: the open and overdue list (the figures come from bot/reporting/stats.py `gather_stats`).
- `charts`: bar charts as inline SVG (no script, no CDN, readable on a phone).
- `templates`: the HTML pages.
- `downloads`: the SIMFONI-PPA export of the period (CSV, XLSX), audited.
- `routes`: the Starlette routes, mounted by bot/runtime/http.py under `/dashboard`.

Nothing here shows a victim's or a reporter's detail: the figures are counts, the list holds a
case's reference, kelurahan, status, days open and the assignee's name, as the digest does.
"""
