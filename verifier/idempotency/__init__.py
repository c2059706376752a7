"""``Idempotency-Key`` for the API's POSTs: a retried request gets the first
answer back, and nothing is created twice."""
