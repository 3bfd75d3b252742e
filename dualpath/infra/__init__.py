"""Starting and reaching the servers dualpath runs on: Temporal and PostgreSQL."""
