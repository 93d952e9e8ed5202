"""Messages in and out: the durable inbox, the outbox, delivery and its limits."""
