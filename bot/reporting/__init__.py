"""Digests, statistics, exports and the dashboard, for those who oversee the work."""
