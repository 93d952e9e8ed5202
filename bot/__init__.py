"""PATBM Lapor. Packages, imported downwards only: `runtime` (the composition root: CLI, runner,
scheduler, HTTP app) and `channels/<name>` on top; then `reporting`, `escalation`, `casework`,
`evidence`; then `cases` and `messaging`; `core` at the bottom. `handlers/` (the conversations)
sit beside them, called by runtime's dispatch, and use the services below."""
