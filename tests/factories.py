"""factory_boy factories. Claims are made through the domain services where a
test needs the rules; these build valid rows directly for setting up state."""

import datetime

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

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
from sources.models import Document, Source

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.django.Password(PASSWORD)


class SourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Source

    name = factory.Sequence(lambda n: f"Source {n}")
    slug = factory.Sequence(lambda n: f"source-{n}")
    kind = "person"
    affiliation = "independent"
    reliability = "C"


class DocumentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Document

    title = factory.Sequence(lambda n: f"Document {n}")
    url = factory.Sequence(lambda n: f"https://example.org/documents/{n}")
    publisher = factory.SubFactory(SourceFactory)
    published_at = factory.LazyFunction(timezone.now)
    language = "en"


class PlaceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Place

    name = factory.Sequence(lambda n: f"Place {n}")
    slug = factory.Sequence(lambda n: f"place-{n}")
    kind = "village"
    geo_precision = "settlement"


class EventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Event

    title = factory.Sequence(lambda n: f"Event {n}")
    slug = factory.Sequence(lambda n: f"event-{n}")
    starts_on = datetime.date(2025, 3, 1)
    time_precision = "day"


class ClaimFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Claim

    text = factory.Sequence(lambda n: f"Claim number {n} is true.")
    slug = factory.Sequence(lambda n: f"claim-{n}")
    event = factory.SubFactory(EventFactory)


class InReviewClaimFactory(ClaimFactory):
    """A draft an editor submitted: what a reviewer publishes or returns."""

    visibility = "in_review"


class PublishedClaimFactory(ClaimFactory):
    visibility = "published"
    published_at = factory.LazyFunction(timezone.now)


class StatementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Statement

    claim = factory.SubFactory(ClaimFactory)
    source = factory.SubFactory(SourceFactory)
    stance = "asserts"
    stated_on = datetime.date(2025, 3, 18)
    time_precision = "day"
    credibility = 6
    quote = factory.Sequence(lambda n: f"Quote {n}.")
    quote_language = "en"
    document = factory.SubFactory(DocumentFactory)


class EvidenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Evidence

    claim = factory.SubFactory(ClaimFactory)
    document = factory.SubFactory(DocumentFactory)
    stance = "supports"
    note = "Relied on."


class StatusChangeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StatusChange

    claim = factory.SubFactory(ClaimFactory)
    old_status = Status.UNVERIFIED
    new_status = Status.DISPUTED
    rationale = "Sources conflict."
    changed_by = factory.SubFactory(UserFactory)


class ClaimLinkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ClaimLink

    from_claim = factory.SubFactory(ClaimFactory)
    to_claim = factory.SubFactory(ClaimFactory)
    kind = "supports"
