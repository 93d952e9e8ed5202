"""PATBM Lapor: application core (settings, database, services, channels, scheduler, CLI)."""
