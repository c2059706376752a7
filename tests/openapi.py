"""The API's operations as its OpenAPI schema lists them, for tests that must
cover every endpoint without anyone keeping a list: a new endpoint joins them
by itself."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

WRITE_METHODS = {"post", "put", "patch", "delete"}


@dataclass(frozen=True)
class Operation:
    path: str
    method: str
    spec: Any

    def __str__(self) -> str:
        return f"{self.method.upper()} {self.path}"

    @property
    def is_write(self) -> bool:
        return self.method in WRITE_METHODS

    @property
    def has_body(self) -> bool:
        return "requestBody" in self.spec

    def request_schema(self, schema: dict) -> dict | None:
        """The JSON schema of the request body, references resolved one level."""
        body = self.spec.get("requestBody")
        if body is None:
            return None
        content = body["content"].get("application/json")
        if content is None:
            return None
        return resolve(schema, content["schema"])

    @property
    def query_parameters(self) -> list[dict]:
        return [p for p in self.spec.get("parameters", []) if p["in"] == "query"]


def resolve(schema: dict, node: dict) -> dict:
    while "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        node = schema["components"]["schemas"][name]
    return node


@functools.cache
def schema() -> dict:
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)


def operations() -> list[Operation]:
    return [
        Operation(path, method, spec)
        for path, methods in schema()["paths"].items()
        for method, spec in methods.items()
        if method in {"get", "post", "put", "patch", "delete"}
    ]
