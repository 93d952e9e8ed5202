"""Fakes of the platforms PATBM talks to, served on 127.0.0.1 for tests."""
