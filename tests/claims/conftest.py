import datetime

import pytest

from claims import services
from claims.models import Status
from tests.factories import (
    ClaimFactory,
    ClaimLinkFactory,
    DocumentFactory,
    EventFactory,
    EvidenceFactory,
    PlaceFactory,
    PublishedClaimFactory,
    SourceFactory,
    StatementFactory,
)


class World:
    """A small newsroom: a published claim and a draft, each with its parts."""

    def __init__(self, reviewer) -> None:
        self.country = PlaceFactory(name="Russia", slug="russia", kind="country")
        self.region = PlaceFactory(
            name="Belgorod region",
            slug="belgorod-region",
            kind="region",
            parent=self.country,
        )
        self.village = PlaceFactory(
            name="Demidovka",
            slug="demidovka",
            parent=self.region,
            alternate_names=["Demydivka", "Демидовка"],
            latitude="50.123456",
            longitude="35.987654",
        )
        self.event = EventFactory(slug="belgorod-2025", title="Belgorod incursion")
        self.spare_event = EventFactory(slug="spare-event")
        self.spare_place = PlaceFactory(slug="spare-place")
        self.source = SourceFactory(
            name="Volodymyr Zelensky",
            slug="zelensky",
            aliases=["Zelenskyy", "Зеленський"],
            reliability="C",
        )
        self.other_source = SourceFactory(
            name="Russian MoD", slug="mod", reliability="E"
        )
        self.spare_source = SourceFactory(slug="spare-source")
        self.document = DocumentFactory(publisher=self.source)
        self.spare_document = DocumentFactory(publisher=None)
        self.published = PublishedClaimFactory(
            slug="published-claim",
            text="Ukrainian forces are operating inside Belgorod region.",
            event=self.event,
        )
        self.published.places.set([self.village])
        self.draft = ClaimFactory(
            slug="draft-claim", text="A draft about Sudzha.", event=self.event
        )
        self.statement = StatementFactory(
            claim=self.published,
            source=self.source,
            document=self.document,
            quote="Our forces are active in the Belgorod region.",
        )
        self.denial = StatementFactory(
            claim=self.published,
            source=self.other_source,
            stance="denies",
            document=None,
            quote="All attacks were repelled.",
        )
        self.draft_statement = StatementFactory(claim=self.draft, source=self.source)
        self.evidence = EvidenceFactory(claim=self.published, document=self.document)
        self.draft_evidence = EvidenceFactory(claim=self.draft, document=self.document)
        self.other = PublishedClaimFactory(slug="other-claim", event=self.event)
        self.link = ClaimLinkFactory(
            from_claim=self.published, to_claim=self.other, kind="contradicts"
        )
        services.change_status(
            self.published,
            to=Status.DISPUTED,
            rationale="Sources conflict.",
            evidence=[self.evidence],
            by=reviewer,
            at=datetime.datetime(2025, 3, 20, 12, tzinfo=datetime.UTC),
        )
        self.published.refresh_from_db()
        self.draft.refresh_from_db()


@pytest.fixture
def world(reviewer) -> World:
    return World(reviewer)
