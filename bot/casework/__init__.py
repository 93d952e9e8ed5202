"""What staff do with a case, and what reporters hear back."""
