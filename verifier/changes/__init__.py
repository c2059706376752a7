"""The change log: one row for every change the domain layer makes, written in
the change's own transaction (``verifier.changes.log.record``), read as a
stream by ``GET /api/v1/changes/`` and announced to webhooks."""
