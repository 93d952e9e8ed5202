"""WhatsApp Cloud API: webhook in, Graph API out."""
