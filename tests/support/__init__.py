"""What many tests share: worlds, fakes wiring, databases."""
