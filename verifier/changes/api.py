"""``GET /api/v1/changes/``: the change log as a stream to follow.

Each entry is one change, in the order the changes committed; ``?after=``
the last entry's ``id`` reads what came since. Readers who see only what is
published get the public entries, where a published claim that was
unpublished or deleted reads ``claim.removed`` with its id and slug only;
staff who may view claims get every entry with its real type.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from verifier.conditional import etag_in, page_etag
from verifier.models import MAX_ID, is_staff
from verifier.parameters import QueryParametersMixin

from .models import AS_PUBLIC, REMOVED, TYPES, Change

if TYPE_CHECKING:
    from rest_framework.views import APIView


def sees_every_change(user: Any) -> bool:
    """Staff who may view claims read the whole log, drafts included."""
    return is_staff(user) and user.has_perm("claims.view_claim")


class ChangedObjectSerializer(serializers.Serializer):
    type = serializers.CharField(help_text="`claim`, `source`, `document` …")
    id = serializers.IntegerField()
    slug = serializers.CharField(help_text="Empty for objects without one.")
    version = serializers.IntegerField(
        required=False,
        allow_null=True,
        help_text="The version the change made (the last one, for a "
        "deletion). Not given in a `claim.removed` entry.",
    )


class ChangeSerializer(serializers.Serializer):
    """One entry of the stream; ``context["tombstones"]`` reads a published
    claim's unpublication or deletion as ``claim.removed``."""

    id = serializers.IntegerField(
        help_text="The entry's place in the stream: give it as `after` to "
        "read the entries that follow it."
    )
    type = serializers.ChoiceField(choices=sorted(TYPES))
    object = ChangedObjectSerializer()
    at = serializers.DateTimeField(help_text="When the change was made.")

    def to_representation(self, change: Change) -> dict[str, Any]:
        kind = change.type.partition(".")[0]
        changed: dict[str, Any] = {
            "type": kind,
            "id": change.object_id,
            "slug": change.slug,
            "version": change.version,
        }
        type = change.type
        if self.context.get("tombstones"):
            type = AS_PUBLIC.get(type, type)
        if type == REMOVED:
            del changed["version"]
        return {
            "id": change.pk,
            "type": type,
            "object": changed,
            "at": self.fields["at"].to_representation(change.at),
        }


_ID = re.compile(r"\d{1,19}")


class ChangePagination(BasePagination):
    """Pages of the stream keyed on the entry ids: ``after`` (an entry's
    ``id``, 0 for the start) and ``limit``. ``next`` is always given: the
    address to read at once while ``more`` is true, and to poll later when
    it is false."""

    after_query_param = "after"
    limit_query_param = "limit"
    page_size = 100
    max_page_size = 500

    def paginate_queryset(
        self, queryset: QuerySet, request: Request, view: APIView | None = None
    ) -> list[Change]:
        self.request = request
        self.after = self._after(request)
        limit = self._limit(request)
        rows = list(queryset.filter(pk__gt=self.after).order_by("pk")[: limit + 1])
        self.more = len(rows) > limit
        self.page = rows[:limit]
        return self.page

    def _after(self, request: Request) -> int:
        raw = request.query_params.get(self.after_query_param)
        if raw is None:
            return 0
        if not _ID.fullmatch(raw) or int(raw) > MAX_ID:
            raise ValidationError(
                {
                    self.after_query_param: [
                        "Give the id of the last entry read (a whole number, "
                        "0 for the start), as the next link has it."
                    ]
                }
            )
        return int(raw)

    def _limit(self, request: Request) -> int:
        raw = request.query_params.get(self.limit_query_param)
        if raw is None:
            return self.page_size
        if not (raw.isascii() and raw.isdigit() and len(raw) <= 3) or not (
            1 <= int(raw) <= self.max_page_size
        ):
            raise ValidationError(
                {
                    self.limit_query_param: [
                        f"Give a whole number from 1 to {self.max_page_size}."
                    ]
                }
            )
        return int(raw)

    def get_paginated_response(self, data: list[dict[str, Any]]) -> Response:
        last = self.page[-1].pk if self.page else self.after
        url = self.request.build_absolute_uri()
        return Response(
            {
                "next": replace_query_param(url, self.after_query_param, last),
                "more": self.more,
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict:
        return {
            "type": "object",
            "required": ["next", "more", "results"],
            "properties": {
                "next": {
                    "type": "string",
                    "format": "uri",
                    "description": "The address that reads what follows this "
                    "page: at once while `more` is true, later to poll.",
                },
                "more": {
                    "type": "boolean",
                    "description": "Whether entries past this page are there now.",
                },
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view: APIView) -> list[dict[str, Any]]:
        return [
            {
                "name": self.after_query_param,
                "required": False,
                "in": "query",
                "description": "The id of the last entry read: the entries "
                "after it (0, or none, for the start).",
                "schema": {"type": "integer", "minimum": 0, "maximum": MAX_ID},
            },
            {
                "name": self.limit_query_param,
                "required": False,
                "in": "query",
                "description": f"Entries per page (default {self.page_size}).",
                "schema": {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": self.max_page_size,
                },
            },
        ]


TYPES_PARAMETER = OpenApiParameter(
    "types",
    OpenApiTypes.STR,
    description="Only entries of these types, separated by commas: "
    + "; ".join(f"`{name}`: {meaning}" for name, meaning in TYPES.items()),
)


@extend_schema(
    description="The change log, oldest first: every change of a claim (one "
    "entry per version), source, document, event and place, in the order "
    "the changes committed. Follow it with `after`; what you may not see is "
    "not in it, but a published claim that is unpublished or deleted reaches "
    "readers of published claims as a `claim.removed` entry (its id and slug)."
)
class ChangeViewSet(
    QueryParametersMixin, mixins.ListModelMixin, viewsets.GenericViewSet
):
    """The change log as a stream: ``?after=``, ``?limit=``, ``?types=``."""

    serializer_class = ChangeSerializer
    pagination_class = ChangePagination
    filter_backends: list = []
    action_query_parameters = {"list": [TYPES_PARAMETER]}

    def get_queryset(self) -> QuerySet[Change]:
        changes = Change.objects.only(
            "pk", "type", "object_id", "slug", "version", "at"
        )
        every = sees_every_change(self.request.user)
        if not every:
            changes = changes.filter(public=True)
        asked = self._types()
        if asked is None:
            return changes
        stored = asked - {REMOVED}
        if not every:
            # Such readers get some types only as others (``AS_PUBLIC``).
            stored = {name for name in TYPES if AS_PUBLIC.get(name, name) in asked}
        return changes.filter(type__in=sorted(stored))

    def _types(self) -> set[str] | None:
        raw = self.request.query_params.get("types")
        if raw is None:
            return None
        asked = {name.strip() for name in raw.split(",") if name.strip()}
        unknown = asked - TYPES.keys()
        if unknown or not asked:
            valid = ", ".join(TYPES)
            raise ValidationError(
                {
                    "types": [
                        f"Not a type of change: {', '.join(sorted(unknown)) or raw!r}. "
                        f"Use one or more of: {valid}."
                    ]
                }
            )
        return asked

    def get_serializer_context(self) -> dict[str, Any]:
        return {
            **super().get_serializer_context(),
            "tombstones": not sees_every_change(self.request.user),
        }

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        # Entries never change: which ones a page holds, and for whom,
        # names it.
        reader = "every" if sees_every_change(request.user) else "public"
        etag = page_etag(
            f"{request.build_absolute_uri()} {reader}",
            ((change.pk, 0) for change in page),
        )
        if etag_in(request.headers.get("If-None-Match"), etag):
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": etag})
        response = self.get_paginated_response(
            self.get_serializer(page, many=True).data
        )
        response["ETag"] = etag
        return response
