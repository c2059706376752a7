"""JSON as the database stores it."""

import json
from typing import Any


class UnicodeJSONEncoder(json.JSONEncoder):
    """Writes every character as itself, never as a ``\\u`` escape.

    SQLite keeps a JSONField as the text it was given, so with the default
    escapes "Зеленський" is stored as "\\u0417…" and a substring search (the
    admin's, the quickstart's claim search) cannot find it. PostgreSQL's jsonb
    reads either form into the same value.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # json.dumps(cls=…) passes ensure_ascii=True itself.
        super().__init__(*args, **{**kwargs, "ensure_ascii": False})
