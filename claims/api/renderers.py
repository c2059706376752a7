"""JSON written by orjson, which passes through JSON that PostgreSQL wrote."""

from __future__ import annotations

from typing import Any

import orjson
from rest_framework.renderers import JSONRenderer
from rest_framework.utils.encoders import JSONEncoder

_fallback = JSONEncoder().default


class ORJSONRenderer(JSONRenderer):
    """DRF's ``JSONRenderer`` (compact, UTF-8), through orjson.

    ``orjson.Fragment`` values are copied in as they are; what orjson does not
    know (lazy translations, decimals) goes through DRF's own encoder.
    """

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: dict[str, Any] | None = None,
    ) -> bytes:
        if data is None:
            return b""
        indent = bool(accepted_media_type and "indent" in accepted_media_type)
        return orjson.dumps(
            data, default=_fallback, option=orjson.OPT_INDENT_2 if indent else 0
        )
