"""Journeys: a simulated person through a running PATBM Lapor."""
