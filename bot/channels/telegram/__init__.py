"""Telegram: updates in, replies out, long polling or webhook."""
