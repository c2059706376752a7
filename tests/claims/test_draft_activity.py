"""What the public cannot see changes nothing the public can see: work on a
draft leaves published claims' versions, the lists' order and the public
pages' validators as they were."""

import pytest
from django.utils import timezone

from claims import services
from claims.models import Claim

pytestmark = pytest.mark.django_db


def _validators(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return response["ETag"]


def test_linking_a_draft_leaves_the_published_claim_as_it_was(
    api, client, world, editor
):
    published = Claim.objects.get(pk=world.published.pk)
    first = api().get("/api/v1/claims/").json()["results"][0]["slug"]
    page = _validators(client, published.get_absolute_url())
    index = _validators(client, "/")
    moment = timezone.now()

    response = api(editor).post(
        "/api/v1/links/",
        {
            "from_claim": world.draft.slug,
            "to_claim": published.slug,
            "kind": "supports",
        },
        format="json",
        HTTP_IF_MATCH=world.draft.etag,
    )

    assert response.status_code == 201, response.content
    after = Claim.objects.get(pk=published.pk)
    assert (after.version, after.updated_at) == (
        published.version,
        published.updated_at,
    )
    assert api().get("/api/v1/claims/").json()["results"][0]["slug"] == first
    since = api().get("/api/v1/claims/", {"updated_since": moment.isoformat()})
    assert published.slug not in [row["slug"] for row in since.json()["results"]]
    assert _validators(client, published.get_absolute_url()) == page
    assert _validators(client, "/") == index
    assert Claim.objects.get(pk=world.draft.pk).version == world.draft.version + 1


def test_editing_a_draft_leaves_public_pages_validators_alone(
    api, client, world, editor
):
    url = world.published.get_absolute_url()
    before = {path: _validators(client, path) for path in (url, "/", "/feed/")}

    response = api(editor).patch(
        f"/api/v1/claims/{world.draft.slug}/",
        {"text": "A draft about Sudzha, reworded."},
        format="json",
        HTTP_IF_MATCH=world.draft.etag,
    )
    services.attribute_statement(
        Claim.objects.get(pk=world.draft.pk),
        source=world.other_source,
        stance="denies",
        stated_on=world.draft_statement.stated_on,
        quote="Nothing happened.",
        by=editor,
    )

    assert response.status_code == 200
    assert {path: _validators(client, path) for path in before} == before


def test_publishing_a_linked_draft_is_a_new_version_of_the_claim_it_links_to(
    api, world, editor, reviewer
):
    services.link_claims(world.draft, world.published, kind="supports", by=editor)
    published = Claim.objects.get(pk=world.published.pk)

    draft = Claim.objects.get(pk=world.draft.pk)
    services.submit_claim(draft, by=reviewer)

    services.publish_claim(draft, by=reviewer)

    after = Claim.objects.get(pk=published.pk)
    assert after.version == published.version + 1
    links = api().get(f"/api/v1/claims/{published.slug}/").json()["links"]
    assert world.draft.slug in [link["claim"]["slug"] for link in links]


def test_editing_an_event_only_drafts_use_leaves_public_validators_alone(
    api, client, world, editor
):
    world.draft.event = world.spare_event
    world.draft.save()
    before = _validators(client, "/")

    response = api(editor).patch(
        f"/api/v1/events/{world.spare_event.slug}/",
        {"summary": "Still being researched."},
        format="json",
    )

    assert response.status_code == 200, response.content
    assert _validators(client, "/") == before
