"""The approval flow (CONTRACT.md §8): flow model, durable_rules machine, SQLite record."""
