from rest_framework import viewsets

from sources.models import Document, Source
from verifier.conditional import VersionedWritesMixin
from verifier.idempotency.replay import IdempotentCreateMixin
from verifier.parameters import QueryParametersMixin
from verifier.rest import SlugOrIdLookupMixin, VisibleToMixin

from .filters import DocumentFilter, SourceFilter
from .serializers import DocumentSerializer, SourceSerializer


class SourceViewSet(
    VisibleToMixin,
    QueryParametersMixin,
    SlugOrIdLookupMixin,
    IdempotentCreateMixin,
    VersionedWritesMixin,
    viewsets.ModelViewSet,
):
    """Who makes or carries claims, with their Admiralty grade (A–F)."""

    queryset = Source.objects.all()
    serializer_class = SourceSerializer
    filterset_class = SourceFilter
    ordering_fields = ["name", "created_at", "updated_at"]
    ordering = ["name"]


class DocumentViewSet(
    VisibleToMixin,
    QueryParametersMixin,
    IdempotentCreateMixin,
    VersionedWritesMixin,
    viewsets.ModelViewSet,
):
    """Artefacts in which something was said or shown."""

    queryset = Document.objects.select_related("publisher")
    serializer_class = DocumentSerializer
    filterset_class = DocumentFilter
    lookup_value_regex = r"[0-9]{1,18}"
    ordering_fields = ["created_at", "updated_at", "id"]
    ordering = ["-created_at"]
