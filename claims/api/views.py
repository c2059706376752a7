"""The claims side of ``/api/v1/``: events, places, claims and their parts.

Every write to a claim goes through ``claims.services``; reads use the
QuerySet methods that carry their joins, so a page costs the same number of
queries whatever its size.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db import connection
from django.db.models import Model, QuerySet
from django.http import StreamingHttpResponse
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import (
    NotFound,
    ValidationError,
)
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer
from rest_framework.settings import api_settings

from claims import services
from claims.forms import parse_as_of_moment
from claims.models import (
    Claim,
    ClaimLink,
    Event,
    Evidence,
    Place,
    Statement,
    Status,
    StatusChange,
)
from verifier.conditional import (
    ConcurrencyControlled,
    etag_in,
    expected_version,
    page_etag,
)
from verifier.idempotency.replay import idempotent
from verifier.parameters import QueryParametersMixin
from verifier.rest import SlugOrIdLookupMixin
from verifier.viewsets import ReferenceViewSet

from .desk import CLAIM_RESPONSES, DeskActionsMixin
from .documents import (
    claim_detail_json,
    claim_list_json,
    claim_version,
    first_page_versions,
)
from .export import (
    CSVRenderer,
    JSONLinesRenderer,
    csv_chunks,
    export_rows,
    jsonl_chunks,
)
from .filters import (
    ClaimFilter,
    ClaimLinkFilter,
    EventFilter,
    EvidenceFilter,
    PlaceFilter,
    StatementFilter,
)
from .permissions import ACTION_PERMISSIONS
from .renderers import ORJSONRenderer
from .serializers import (
    ClaimDetailSerializer,
    ClaimHistorySerializer,
    ClaimLinkSerializer,
    ClaimSerializer,
    ClaimWriteSerializer,
    EventSerializer,
    EvidenceSerializer,
    PlaceSerializer,
    StatementSerializer,
    StatusChangeInputSerializer,
)
from .similar import PARAMETERS as SIMILAR_PARAMETERS
from .similar import SimilarClaimSerializer, SimilarQuerySerializer

ID_PATTERN = r"[0-9]{1,18}"

AS_OF = OpenApiParameter(
    "as_of",
    OpenApiTypes.STR,
    description="A date (YYYY-MM-DD, meaning the end of that day, UTC) "
    "or an ISO 8601 moment: the status then, and the timeline up to it.",
)


class PlaceViewSet(SlugOrIdLookupMixin, ReferenceViewSet):
    """Where claims are about: a hierarchy (village ⊂ region ⊂ country)."""

    queryset = Place.objects.select_related("parent")
    serializer_class = PlaceSerializer
    filterset_class = PlaceFilter
    ordering_fields = ["name", "id"]
    ordering = ["name"]


class EventViewSet(SlugOrIdLookupMixin, ReferenceViewSet):
    """What a group of claims is about."""

    queryset = Event.objects.prefetch_related("places")
    serializer_class = EventSerializer
    filterset_class = EventFilter
    ordering_fields = ["created_at", "updated_at", "title"]
    ordering = ["-created_at"]


def page_not_modified(etag: str) -> Response:
    """A list page's 304: nothing but its ETag."""
    return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": etag})


@extend_schema_view(
    create=extend_schema(
        request=ClaimWriteSerializer,
        responses={201: ClaimDetailSerializer},
        description="Create a draft claim, unverified. The answer carries its ETag.",
    ),
    update=extend_schema(request=ClaimWriteSerializer, responses=CLAIM_RESPONSES),
    partial_update=extend_schema(
        request=ClaimWriteSerializer, responses=CLAIM_RESPONSES
    ),
    retrieve=extend_schema(responses=CLAIM_RESPONSES),
    list=extend_schema(
        responses={
            200: ClaimSerializer(many=True),
            304: OpenApiResponse(
                description="Not modified: `If-None-Match` holds the page's ETag."
            ),
        },
        parameters=[
            OpenApiParameter(
                "If-None-Match",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                description="The page's ETag, as last read: 304 if the page "
                "still holds the same claims at the same versions.",
            ),
            OpenApiParameter(
                "ETag",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                response=[200],
                description="The page's version: its claims, their versions "
                "and its links.",
            ),
        ],
    ),
    destroy=extend_schema(
        description="Delete a claim that has no verdict timeline (reviewers)."
    ),
)
class ClaimViewSet(
    DeskActionsMixin,
    QueryParametersMixin,
    SlugOrIdLookupMixin,
    ConcurrencyControlled,
    viewsets.ModelViewSet,
):
    """Checkable propositions, who asserts and who denies them, and their status.

    Drafts exist only for staff; for everyone else they are a 404.
    """

    serializer_class = ClaimSerializer
    filterset_class = ClaimFilter
    ordering_fields = ["updated_at", "created_at"]
    ordering = ["-updated_at"]
    action_permissions = ACTION_PERMISSIONS
    action_query_parameters = {"history": [AS_OF], "similar": SIMILAR_PARAMETERS}
    # The list and the detail are JSON written by PostgreSQL, passed through
    # by orjson; the browsable API still shows them to staff.
    renderer_classes = [
        ORJSONRenderer if renderer is JSONRenderer else renderer
        for renderer in api_settings.DEFAULT_RENDERER_CLASSES
    ]

    @staticmethod
    def needs_if_match(method: str, action: str | None) -> bool:
        # A note is not a change of the claim: it needs no version.
        return method in {"PUT", "PATCH", "DELETE"} or (
            method == "POST" and action not in {"create", "notes"}
        )

    def get_queryset(self) -> QuerySet[Claim]:
        visible = Claim.objects.visible_to(self.request.user)
        if self.action == "list":
            # The page's claims are written as JSON by claim_list_json; the
            # page itself needs only the keys that cursors are made of.
            if connection.vendor == "postgresql":
                return visible.only("pk", "version", "updated_at", "created_at")
            return visible.select_related("event")
        return (
            visible.with_attribution()
            .with_links(self.request.user)
            .select_related("assignee")
        )

    def filter_queryset(self, queryset: QuerySet[Claim]) -> QuerySet[Claim]:
        if self.request.query_params.keys() & ClaimFilter.base_filters.keys():
            return super().filter_queryset(queryset)
        # No filter asked for: the filter set would build and validate a form
        # only to filter nothing, which costs about as much as the page query.
        for backend in self.filter_backends:
            if not issubclass(backend, DjangoFilterBackend):
                queryset = backend().filter_queryset(self.request, queryset, self)
        return queryset

    def get_serializer_class(self) -> type[BaseSerializer]:
        if self.action == "list":
            return ClaimSerializer
        if self.action in {"create", "update", "partial_update"}:
            return ClaimWriteSerializer
        return ClaimDetailSerializer

    def _detail(self, claim: Claim, code: int = status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().get(pk=claim.pk)
        data = ClaimDetailSerializer(fresh, context=self.get_serializer_context()).data
        return self.with_etag(Response(data, status=code), fresh)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        url = request.build_absolute_uri()
        if_none_match = request.headers.get("If-None-Match")
        if if_none_match and not request.query_params:
            # The default page, as clients polling for news ask for it: its
            # keys in one prepared statement, without the filters and the
            # cursor machinery. The same keys as the page query below.
            versions = first_page_versions(request.user, self.paginator.page_size)
            if versions is not None and etag_in(
                if_none_match, etag := page_etag(url, versions)
            ):
                return page_not_modified(etag)
        claims = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        # The page's ETag comes from the keys and versions the page query
        # read anyway, so a 304 costs that one query and nothing more.
        etag = page_etag(url, ((claim.pk, claim.version) for claim in claims))
        if etag_in(if_none_match, etag):
            return page_not_modified(etag)
        response = self.get_paginated_response(claim_list_json(claims))
        response["ETag"] = etag
        return response

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        # Neither the filter backends nor get_object: a claim is found by its
        # slug, among those the user may see, in the query that writes it.
        _, key = self.lookup()
        revalidated = self.not_modified_by_version(request, key)
        if revalidated is not None:
            return revalidated
        found = claim_detail_json(key, request.user)
        if found is None:
            raise NotFound
        claim, data = found
        return self.with_etag(Response(data), claim)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "format",
                OpenApiTypes.STR,
                enum=["csv", "jsonl"],
                description="csv (the default) or jsonl (JSON Lines); or ask "
                "with Accept: text/csv or application/jsonl.",
            ),
        ],
        responses={
            (200, "text/csv"): OpenApiTypes.STR,
            (200, "application/jsonl"): OpenApiTypes.STR,
        },
        description="Every claim you may see (published ones, and drafts for "
        "staff), oldest first, streamed: one row or line per claim with its "
        "event, places and the sources asserting and denying it. The claim "
        "list's filters apply. In CSV, lists are separated by `;`, and a cell "
        "that would start with `=`, `+`, `-` or `@` starts with `'`.",
    )
    @action(
        detail=False,
        methods=["get"],
        pagination_class=None,
        filter_backends=[DjangoFilterBackend],
        renderer_classes=[CSVRenderer, JSONLinesRenderer],
    )
    def export(self, request: Request) -> StreamingHttpResponse:
        claims = self.filter_queryset(Claim.objects.visible_to(request.user))
        # Streamed after the view returns: read where this request reads (an
        # anonymous client's export from a replica), in one statement, so
        # one snapshot.
        claims = claims.using(claims.db)
        renderer = request.accepted_renderer
        chunks = csv_chunks if renderer.format == "csv" else jsonl_chunks
        response = StreamingHttpResponse(
            chunks(export_rows(claims)),
            content_type=f"{renderer.media_type}; charset=utf-8",
        )
        response["Content-Disposition"] = (
            f'attachment; filename="claims.{renderer.format}"'
        )
        return response

    @extend_schema(
        responses={200: SimilarClaimSerializer(many=True)},
        description="The claims closest to a text, best first, with a score "
        "from 0 to 1: near-duplicates of a claim being written, in any "
        "spelling the search forgives. Drafts only for staff.",
    )
    @action(detail=False, methods=["get"], pagination_class=None, filter_backends=[])
    def similar(self, request: Request) -> Response:
        query = SimilarQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        claims = Claim.objects.similar(
            query.validated_data["text"],
            user=request.user,
            limit=query.validated_data["limit"],
        )
        return Response(
            SimilarClaimSerializer(
                claims, many=True, context=self.get_serializer_context()
            ).data
        )

    def not_modified_by_version(
        self, request: Request, key: int | str
    ) -> Response | None:
        """A 304 from one query of the claim's version, before its parts load."""
        if not request.headers.get("If-None-Match"):
            return None
        current = claim_version(key, request.user)
        if current is None:
            return None
        return self.not_modified(request, current)

    @idempotent
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = ClaimWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        claim = services.create_claim(by=request.user, **serializer.validated_data)
        response = self._detail(claim, status.HTTP_201_CREATED)
        response["Location"] = request.build_absolute_uri(f"{claim.slug}/")
        return response

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        claim = self.get_object()
        version = expected_version(request, claim)
        serializer = ClaimWriteSerializer(
            data=request.data, partial=kwargs.get("partial", False)
        )
        serializer.is_valid(raise_exception=True)
        services.update_claim(
            claim,
            by=request.user,
            expected_version=version,
            **serializer.validated_data,
        )
        return self._detail(claim)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        claim = self.get_object()
        services.delete_claim(
            claim, by=request.user, expected_version=expected_version(request, claim)
        )
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        request=StatusChangeInputSerializer,
        responses=CLAIM_RESPONSES,
        description="Change the verdict: the only way a status changes. Every "
        "change has a rationale; every status but unverified rests on evidence "
        "of this claim; only reviewers set or leave confirmed and false. The "
        "answer is the claim, with its new ETag.",
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def status(self, request: Request, slug: str) -> Response:
        claim = self.get_object()
        version = expected_version(request, claim)
        serializer = StatusChangeInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        ids = list(dict.fromkeys(data["evidence"]))
        evidence = list(Evidence.objects.filter(pk__in=ids, claim=claim))
        missing = set(ids) - {item.pk for item in evidence}
        if missing:
            raise ValidationError(
                {
                    "evidence": [
                        f"No evidence with id {pk} on this claim."
                        for pk in sorted(missing)
                    ]
                }
            )
        services.change_status(
            claim,
            to=data["status"],
            rationale=data["rationale"],
            evidence=evidence,
            by=request.user,
            expected_version=version,
        )
        return self._detail(claim)

    @extend_schema(responses={200: ClaimHistorySerializer})
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def history(self, request: Request, slug: str) -> Response:
        """The verification timeline, oldest first; with ``as_of``, as it stood
        then."""
        claim = self.get_object()
        moment = _parse_moment(request.query_params.get("as_of"))
        changes = (
            StatusChange.objects.filter(claim=claim)
            .select_related("changed_by")
            .prefetch_related("evidence")
            .order_by("changed_at", "id")
        )
        if moment is not None:
            changes = changes.filter(changed_at__lte=moment)
        changes = list(changes)
        current = changes[-1].new_status if changes else Status.UNVERIFIED
        if moment is None:
            current = claim.status
        data = ClaimHistorySerializer(
            {
                "claim": claim.slug,
                "as_of": moment,
                "status": current,
                "changes": changes,
            },
            context=self.get_serializer_context(),
        ).data
        return Response(data)


def _parse_moment(raw: str | None) -> datetime.datetime | None:
    if raw is None or raw == "":
        return None
    try:
        return parse_as_of_moment(raw)
    except ValueError:
        raise ValidationError(
            {"as_of": ["Give a date (YYYY-MM-DD) or a moment (ISO 8601)."]}
        ) from None


class ClaimPartViewSet(
    QueryParametersMixin, ConcurrencyControlled, viewsets.ModelViewSet
):
    """Statements, evidence and links: each write is a new version of its claim.

    They follow their claim's visibility, and their ETag is their claim's: a
    write sends the claim's ETag in ``If-Match`` and gets the new one back.
    """

    claim_field = "claim"
    lookup_value_regex = ID_PATTERN
    ordering_fields = ["id", "created_at"]
    # Newest first by the primary key: unique and indexed, so a page is an
    # index range scan, never a sort of the whole table.
    ordering = ["-id"]

    def claim_of(self, part: Model) -> Claim:
        return getattr(part, self.claim_field)

    def visible_parts(self, queryset: QuerySet) -> QuerySet:
        visible = Claim.objects.visible_to(self.request.user)
        return queryset.filter(**{f"{self.claim_field}__in": visible})

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        part = self.get_object()
        claim = self.claim_of(part)
        return self.not_modified(request, claim) or self.with_etag(
            Response(self.get_serializer(part).data), claim
        )

    @idempotent
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        part = serializer.Meta.model(**serializer.validated_data)
        claim = self.claim_of(part)
        services.save_part(
            part, by=request.user, expected_version=expected_version(request, claim)
        )
        data = self.get_serializer(part).data
        return self.with_etag(Response(data, status=status.HTTP_201_CREATED), claim)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        part = self.get_object()
        claim = self.claim_of(part)
        version = expected_version(request, claim)
        serializer = self.get_serializer(
            part, data=request.data, partial=kwargs.get("partial", False)
        )
        serializer.is_valid(raise_exception=True)
        moved = serializer.validated_data.get(self.claim_field)
        if moved is not None and moved.pk != claim.pk:
            raise ValidationError(
                {
                    self.claim_field: [
                        "A part stays with its claim: remove it and add a new one."
                    ]
                }
            )
        for name, value in serializer.validated_data.items():
            setattr(part, name, value)
        setattr(part, self.claim_field, claim)
        services.save_part(part, by=request.user, expected_version=version)
        return self.with_etag(Response(self.get_serializer(part).data), claim)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        part = self.get_object()
        claim = self.claim_of(part)
        services.remove_part(
            part, by=request.user, expected_version=expected_version(request, claim)
        )
        return self.with_etag(Response(status=status.HTTP_204_NO_CONTENT), claim)


class StatementViewSet(ClaimPartViewSet):
    """Who asserts or denies a claim, when, in which words, and where."""

    serializer_class = StatementSerializer
    filterset_class = StatementFilter
    ordering_fields = ["created_at", "stated_on", "id"]

    def get_queryset(self) -> QuerySet[Statement]:
        return self.visible_parts(
            Statement.objects.select_related("claim", "source", "document__publisher")
        )


class EvidenceViewSet(ClaimPartViewSet):
    """Documents the verdicts rest on, and what each does to its claim."""

    serializer_class = EvidenceSerializer
    filterset_class = EvidenceFilter

    def get_queryset(self) -> QuerySet[Evidence]:
        return self.visible_parts(
            Evidence.objects.select_related("claim", "document__publisher")
        )


class ClaimLinkViewSet(ClaimPartViewSet):
    """Relations between claims; a link is part of the claim it starts from."""

    serializer_class = ClaimLinkSerializer
    filterset_class = ClaimLinkFilter
    claim_field = "from_claim"

    def get_queryset(self) -> QuerySet[ClaimLink]:
        visible = Claim.objects.visible_to(self.request.user)
        return ClaimLink.objects.filter(
            from_claim__in=visible, to_claim__in=visible
        ).select_related("from_claim", "to_claim")
