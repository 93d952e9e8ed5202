"""Administration: staff lists, keys, retention, the audit trail."""
