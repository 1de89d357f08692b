"""The durable SQLite journal and outbox, and (later) the sync worker."""
