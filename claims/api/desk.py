"""The desk's steps on a claim in the API: submit, return, publish, unpublish,
assign, and the staff's notes. Each step goes through ``claims.services`` on
the version the client holds (``If-Match``)."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import (
    NotAuthenticated,
    PermissionDenied,
    ValidationError,
)
from rest_framework.request import Request
from rest_framework.response import Response

from claims import services
from claims.models import Claim, sees_drafts
from verifier.conditional import expected_version
from verifier.idempotency.replay import idempotent

from .serializers import (
    AssignInputSerializer,
    ClaimDetailSerializer,
    NoteSerializer,
    ReturnInputSerializer,
)

CLAIM_RESPONSES = {200: ClaimDetailSerializer}


class DeskActionsMixin:
    """The review steps of ``ClaimViewSet``; ``_detail`` answers with the claim."""

    _detail: Callable[..., Response]
    get_object: Callable[[], Claim]
    request: Request

    def _step(self, service: Callable[..., Claim]) -> Response:
        """A step of the claim's way to publication, on the version the
        client holds (``If-Match``)."""
        claim = self.get_object()
        service(
            claim,
            by=self.request.user,
            expected_version=expected_version(self.request, claim),
        )
        return self._detail(claim)

    @extend_schema(
        request=None,
        responses=CLAIM_RESPONSES,
        description="Submit a draft for review (editors and up).",
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def submit(self, request: Request, slug: str) -> Response:
        return self._step(services.submit_claim)

    @extend_schema(
        request=ReturnInputSerializer,
        responses=CLAIM_RESPONSES,
        description="Send a claim in review back to draft, with a note saying "
        "what it needs (reviewers). The note joins the claim's notes.",
    )
    @action(detail=True, methods=["post"], url_path="return")
    @idempotent
    def return_to_draft(self, request: Request, slug: str) -> Response:
        claim = self.get_object()
        version = expected_version(request, claim)
        serializer = ReturnInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.return_claim(
            claim,
            by=request.user,
            note=serializer.validated_data["note"],
            expected_version=version,
        )
        return self._detail(claim)

    @extend_schema(
        request=None,
        responses=CLAIM_RESPONSES,
        description="Make a claim in review public (reviewers); a draft is "
        "submitted for review first. Later verdict changes are corrections.",
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def publish(self, request: Request, slug: str) -> Response:
        return self._step(services.publish_claim)

    @extend_schema(
        request=None,
        responses=CLAIM_RESPONSES,
        description="Take the claim off the public pages, back to draft (reviewers).",
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def unpublish(self, request: Request, slug: str) -> Response:
        return self._step(services.unpublish_claim)

    @extend_schema(
        request=AssignInputSerializer,
        responses=CLAIM_RESPONSES,
        description="Hand the claim to someone on the desk (an active staff "
        "user who may edit claims), or to nobody with null (editors and up). "
        "A new version of the claim: a new ETag.",
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def assign(self, request: Request, slug: str) -> Response:
        claim = self.get_object()
        version = expected_version(request, claim)
        serializer = AssignInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        pk = serializer.validated_data["assignee"]
        to = None
        if pk is not None:
            to = get_user_model().objects.filter(pk=pk).first()
            if to is None:
                raise ValidationError({"assignee": [f"No user with id {pk}."]})
        services.assign_claim(claim, to=to, by=request.user, expected_version=version)
        return self._detail(claim)

    @extend_schema(
        methods=["GET"],
        responses={200: NoteSerializer(many=True)},
        description="The staff's notes on the claim, newest first (staff only).",
    )
    @extend_schema(
        methods=["POST"],
        request=NoteSerializer,
        responses={201: NoteSerializer},
        description="Add a note (editors and up). Not a change of the claim: "
        "no If-Match, no new version.",
    )
    @action(
        detail=True, methods=["get", "post"], pagination_class=None, filter_backends=[]
    )
    def notes(self, request: Request, slug: str) -> Response:
        claim = self.get_object()
        if not sees_drafts(request.user):
            # Notes are the desk's: anyone else learns only that they exist
            # for a claim they can see anyway.
            if not request.user.is_authenticated:
                raise NotAuthenticated
            raise PermissionDenied
        if request.method == "POST":
            return self._add_note(request, claim)
        notes = claim.notes.select_related("author")
        return Response(NoteSerializer(notes, many=True).data)

    @idempotent
    def _add_note(self, request: Request, claim: Claim) -> Response:
        serializer = NoteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        note = services.add_note(
            claim, by=request.user, text=serializer.validated_data["text"]
        )
        return Response(NoteSerializer(note).data, status=status.HTTP_201_CREATED)
