"""Webhooks: each public change, signed per the Standard Webhooks
specification, POSTed to the endpoints that asked for it by a background
worker (``manage.py db_worker``), at least once, retried for a day."""
