"""The escalation ladder: nothing is left unaccepted or unresolved."""
