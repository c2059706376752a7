from sources.models import Document, Source
from verifier.rest import SlugOrIdLookupMixin
from verifier.viewsets import ReferenceViewSet

from .filters import DocumentFilter, SourceFilter
from .serializers import DocumentSerializer, SourceSerializer


class SourceViewSet(SlugOrIdLookupMixin, ReferenceViewSet):
    """Who makes or carries claims, with their Admiralty grade (A–F)."""

    queryset = Source.objects.all()
    serializer_class = SourceSerializer
    filterset_class = SourceFilter
    ordering_fields = ["name", "created_at", "updated_at"]
    ordering = ["name"]


class DocumentViewSet(ReferenceViewSet):
    """Artefacts in which something was said or shown."""

    queryset = Document.objects.select_related("publisher")
    serializer_class = DocumentSerializer
    filterset_class = DocumentFilter
    lookup_value_regex = r"[0-9]{1,18}"
    ordering_fields = ["created_at", "updated_at", "id"]
    ordering = ["-created_at"]
