"""The viewset every kind of reference object's API is made of.

Apart from ``verifier.rest``, which DRF imports while it loads its own views
(the authentication and permission classes there are in its settings), so
that module cannot import DRF's viewsets.
"""

from rest_framework import viewsets

from verifier.conditional import VersionedWritesMixin
from verifier.idempotency.replay import IdempotentCreateMixin
from verifier.parameters import QueryParametersMixin
from verifier.rest import VisibleToMixin


class ReferenceViewSet(
    VisibleToMixin,
    QueryParametersMixin,
    IdempotentCreateMixin,
    VersionedWritesMixin,
    viewsets.ModelViewSet,
):
    """The API of a kind of reference object (sources, documents, events,
    places): only what the reader may see, query parameters checked, creation
    idempotent under ``Idempotency-Key``, writes versioned (ETag, If-Match)."""
