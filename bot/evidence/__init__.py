"""Evidence files: limits, download, storage, viewing."""
