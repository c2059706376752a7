"""The OpenAPI schema: the error responses and conditional-request headers
each operation can really give, so that clients and fuzzers can trust it."""

from __future__ import annotations

from drf_spectacular import openapi
from drf_spectacular.contrib.django_filters import DjangoFilterExtension
from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import permissions, serializers

from verifier.exceptions import PROBLEM_CONTENT_TYPE
from verifier.fields import (
    SLUG_OR_ID_SCHEMA,
    SlugOrIdRelatedField,
    UniqueListField,
    UniqueManyRelatedField,
)
from verifier.models import MAX_ID
from verifier.parameters import ChoiceInFilter
from verifier.rest import SlugOrIdLookupMixin


class FilterExtension(DjangoFilterExtension):
    """django-filter's parameters, with filters that take several values
    documented as repeated (``explode``), as generated clients send arrays;
    the comma-separated form is accepted too."""

    priority = 1

    def resolve_filter_field(
        self, auto_schema, model, filterset_class, field_name, filter_field
    ) -> list[dict]:
        parameters = super().resolve_filter_field(
            auto_schema, model, filterset_class, field_name, filter_field
        )
        if isinstance(filter_field, ChoiceInFilter):
            for parameter in parameters:
                parameter["explode"] = True
        return parameters


class SlugOrIdFieldExtension(OpenApiSerializerFieldExtension):
    target_class = SlugOrIdRelatedField

    def map_serializer_field(self, auto_schema: openapi.AutoSchema, direction: str):
        output = self.target.output
        if direction == "request" or output is None:
            if not self.target.by_slug:
                return {"type": "integer", "minimum": 1, "maximum": MAX_ID}
            return dict(SLUG_OR_ID_SCHEMA)
        return auto_schema.resolve_serializer(output, direction).ref


class TokenScheme(KnoxTokenScheme):
    """Knox's scheme for our subclass: with the ``Bearer`` prefix it is an
    http ``bearer`` scheme, which generated clients fill in by default."""

    target_class = "verifier.rest.TokenAuthentication"

    def get_security_definition(self, auto_schema: openapi.AutoSchema) -> dict:
        return {
            **super().get_security_definition(auto_schema),
            "description": "A token from `auth/login/`, sent as "
            "`Authorization: Bearer <token>` (`Authorization: Token <token>` "
            "works too).",
        }


class UniqueListFieldExtension(OpenApiSerializerFieldExtension):
    """Lists that refuse an item given twice say so: ``uniqueItems``."""

    target_class = UniqueListField

    def map_serializer_field(self, auto_schema: openapi.AutoSchema, direction: str):
        schema = auto_schema._map_serializer_field(
            self.target, direction, bypass_extensions=True
        )
        if direction == "request":
            schema["uniqueItems"] = True
        return schema


class UniqueManyRelatedFieldExtension(UniqueListFieldExtension):
    target_class = UniqueManyRelatedField


class ProblemSerializer(serializers.Serializer):
    """An error, as problem details (RFC 9457), ``application/problem+json``."""

    type = serializers.CharField(help_text="`about:blank`: the status says it all.")
    title = serializers.CharField(help_text="The HTTP status phrase.")
    status = serializers.IntegerField(min_value=400, max_value=599)
    detail = serializers.CharField(help_text="What went wrong, for people.")
    code = serializers.CharField(
        help_text="What went wrong, for programs: e.g. `invalid`, `not_found`, "
        "`permission_denied`, `not_authenticated`, `throttled`, `stale_version`."
    )

    class Meta:
        component_name = "Problem"


class ValidationProblemSerializer(ProblemSerializer):
    errors = serializers.DictField(
        required=False,
        help_text="Messages per field name (`non_field_errors` for the whole "
        "input); a list or nested object is keyed by position or field.",
    )

    class Meta:
        component_name = "ValidationProblem"


class StaleVersionProblemSerializer(ProblemSerializer):
    current_version = serializers.IntegerField(
        required=False, help_text="The version now, when the service knew it."
    )

    class Meta:
        component_name = "StaleVersionProblem"


_ERRORS = {
    "400": "Invalid input: an object of field names, each with a list of messages "
    "(`non_field_errors` for the whole input).",
    "401": "No valid credentials: the token is unknown, revoked or expired.",
    "403": "The user's role does not allow this.",
    "404": "No such object, or not visible to this user (drafts).",
    "406": "The Accept header asks for a format the API cannot give.",
    "409": "The change conflicts with stored data (e.g. the object is still "
    "referenced, or was created at the same moment).",
    "412": "`If-Match` does not match the current ETag: reload, then apply the "
    "change again.",
    "413": "The request body is too large.",
    "415": "The body is not JSON.",
    "422": "This `Idempotency-Key` was already used for a different request.",
    "428": "`If-Match` is missing: send the ETag as last read.",
    "429": "Too many requests: wait for the number of seconds in `Retry-After`.",
    "503": "The database is briefly unavailable: retry after `Retry-After` "
    "seconds (with the same `Idempotency-Key` for a POST).",
}

_RETRY_AFTER = {
    "Retry-After": {
        "schema": {"type": "integer", "minimum": 1},
        "description": "Seconds to wait before trying again.",
    }
}


class AutoSchema(openapi.AutoSchema):
    """Adds to each operation the errors it can give and its ETag headers."""

    def _error_codes(self) -> list[str]:
        codes = ["401", "406", "429", "503"]
        is_write = self.method not in permissions.SAFE_METHODS
        has_lookup = "{" in self.path
        if is_write:
            codes += ["400", "403", "409", "413"]
            if self.method != "DELETE":
                codes.append("415")
            if self._concurrency_controlled():
                codes.append("412")
                if self._if_match_required():
                    codes.append("428")
            if self._idempotent():
                codes.append("422")
        else:
            # An unknown or repeated query parameter, on any read.
            codes.append("400")
            if self._reads_need_a_role():
                codes.append("403")
        if has_lookup or is_write or self._is_list_view():
            codes.append("404")
        return sorted(set(codes))

    def _reads_need_a_role(self) -> bool:
        """Reads that a signed-in user without the role is refused: a view
        that says so (``reads_need_a_role``), or an action with permissions
        of its own (``action_permissions``)."""
        action = getattr(self.view, "action", None)
        return bool(
            getattr(self.view, "reads_need_a_role", False)
            or action in getattr(self.view, "action_permissions", {})
        )

    def _idempotent(self) -> bool:
        handler = getattr(self.view, getattr(self.view, "action", None) or "", None)
        return self.method == "POST" and getattr(handler, "idempotent", False)

    def _concurrency_controlled(self) -> bool:
        check = getattr(self.view, "needs_if_match", None)
        return bool(check and check(self.method, getattr(self.view, "action", None)))

    def _if_match_required(self) -> bool:
        return getattr(self.view, "if_match_required", True)

    def _get_response_bodies(self, direction: str = "response") -> dict:
        responses = super()._get_response_bodies(direction)
        for code in self._error_codes():
            if code in responses:
                continue
            schema = {
                "400": ValidationProblemSerializer,
                "412": StaleVersionProblemSerializer,
            }.get(code, ProblemSerializer)
            response = self._get_response_for_code(
                schema, code, media_types=[PROBLEM_CONTENT_TYPE], direction=direction
            )
            response["description"] = _ERRORS[code]
            if code in {"429", "503"}:
                response["headers"] = {**response.get("headers", {}), **_RETRY_AFTER}
            responses[code] = response
        # gunicorn answers this itself, as a page, before the app sees the
        # request: a request line over its limit_request_line (4094 bytes).
        responses["414"] = {
            "description": "The address is too long for the server (over 4094 "
            "bytes with the method): send fewer or shorter query parameters."
        }
        if (
            self.method == "GET"
            and getattr(self.view, "conditional_get", False)
            and "{" in self.path
        ):
            responses["304"] = {
                "description": "Not modified: `If-None-Match` holds the current ETag."
            }
        return responses

    def get_filter_backends(self) -> list:
        # A collection action (the export) takes the list's filters too.
        if self.method == "GET" and getattr(self.view, "detail", None) is False:
            return list(getattr(self.view, "filter_backends", []))
        return super().get_filter_backends()

    def get_override_parameters(self) -> list:
        parameters = list(super().get_override_parameters())
        parameters += getattr(self.view, "action_query_parameters", {}).get(
            getattr(self.view, "action", None), []
        )
        if isinstance(self.view, SlugOrIdLookupMixin) and "{" in self.path:
            parameters.append(
                OpenApiParameter(
                    self.view.lookup_field,
                    OpenApiTypes.STR,
                    OpenApiParameter.PATH,
                    pattern=f"^{self.view.lookup_value_regex}$",
                    description="The id (a number) or the slug.",
                )
            )
        etag_codes = getattr(self.view, "etag_codes", None)
        etag_codes = (
            etag_codes(getattr(self.view, "action", None)) if etag_codes else []
        )
        if etag_codes:
            parameters.append(
                OpenApiParameter(
                    "ETag",
                    OpenApiTypes.STR,
                    OpenApiParameter.HEADER,
                    response=etag_codes,
                    description="The version (for a claim's part, its claim's), "
                    "for `If-Match` and `If-None-Match`.",
                )
            )
        if self._concurrency_controlled():
            required = self._if_match_required()
            parameters.append(
                OpenApiParameter(
                    "If-Match",
                    OpenApiTypes.STR,
                    OpenApiParameter.HEADER,
                    required=required,
                    description="The ETag as last read (a part sends its "
                    "claim's). Required: without it the answer is 428, with an "
                    "outdated one 412."
                    if required
                    else "The ETag as last read: with an outdated one the answer "
                    "is 412 and nothing is written. Without it, the write "
                    "applies to whatever version is current.",
                )
            )
        if self._idempotent():
            parameters.append(
                OpenApiParameter(
                    "Idempotency-Key",
                    OpenApiTypes.STR,
                    OpenApiParameter.HEADER,
                    description="Optional: a unique key (e.g. a UUID) per change. "
                    "Retrying with the same key and body returns the first "
                    "answer (with `Idempotent-Replayed: true`) and changes "
                    "nothing twice; the same key with another body is a 422. "
                    "Keys are kept for 24 hours.",
                )
            )
        if (
            self.method == "GET"
            and getattr(self.view, "conditional_get", False)
            and "{" in self.path
        ):
            parameters.append(
                OpenApiParameter(
                    "If-None-Match",
                    OpenApiTypes.STR,
                    OpenApiParameter.HEADER,
                    description="An ETag already held: 304 if it is current.",
                )
            )
        return parameters
