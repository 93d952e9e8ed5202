"""Conversations: channel-neutral flows (no platform imports here)."""
