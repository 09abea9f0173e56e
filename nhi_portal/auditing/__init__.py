"""The auditors' area (監査): the access log searched and exported, the monthly summary of unusual
reads, the change log, sign-in events and retention purges — each scoped to the municipality."""
