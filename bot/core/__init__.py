"""The ground floor: settings, database, clock, keys, logs, texts, metrics."""
