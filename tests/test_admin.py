"""Every model can be browsed in the admin, and admin writes obey the domain."""

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.urls import reverse

from claims.models import Claim, Statement

pytestmark = pytest.mark.django_db

# The project's own models; third-party ones (API tokens) have no demo rows.
MODELS = sorted(
    (model for model in admin.site._registry if model._meta.app_label != "knox"),
    key=lambda model: model._meta.label,
)


def url(model, view: str, *args) -> str:
    meta = model._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_{view}", args=args)


@pytest.fixture
def demo(db):
    call_command("load_demo", verbosity=0)


def test_every_domain_model_is_registered():
    labels = {model._meta.label for model in MODELS}

    assert labels >= {
        "sources.Source",
        "sources.Document",
        "claims.Event",
        "claims.Place",
        "claims.Claim",
        "claims.Statement",
        "claims.Evidence",
        "claims.StatusChange",
        "claims.ClaimLink",
    }


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model._meta.label)
def test_list_change_and_history_pages_render_on_demo_data(
    client, superuser, demo, model
):
    client.force_login(superuser)
    obj = model.objects.first()
    assert obj is not None, "the demo has a row of every model"

    assert client.get(url(model, "changelist")).status_code == 200
    assert client.get(url(model, "change", obj.pk)).status_code == 200
    assert client.get(url(model, "history", obj.pk)).status_code == 200


@pytest.mark.parametrize(
    "model",
    [model for model in MODELS if model._meta.model_name != "statuschange"],
    ids=lambda model: model._meta.label,
)
def test_add_pages_render(client, superuser, model):
    client.force_login(superuser)

    assert client.get(url(model, "add")).status_code == 200


def test_search_finds_sources_by_an_alias_in_cyrillic(client, superuser, demo):
    client.force_login(superuser)

    response = client.get(url(Claim, "changelist"), {"q": "Russian Ministry"})
    sources = client.get(
        reverse("admin:sources_source_changelist"), {"q": "Зеленський"}
    )

    assert "Every Ukrainian attempt" in response.text
    assert "Volodymyr Zelensky" in sources.text


def test_anonymous_visitors_are_sent_to_the_login_page(client):
    response = client.get(url(Claim, "changelist"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


def test_a_claim_added_in_the_admin_goes_through_the_domain_layer(client, editor):
    client.force_login(editor)

    response = client.post(
        url(Claim, "add"),
        {
            "text": "A bridge near Sudzha was destroyed.",
            "slug": "bridge-near-sudzha-destroyed",
            "event": "",
            "places": [],
            **{
                f"{prefix}-{field}": value
                for prefix in ("statements", "evidence", "status_changes")
                for field, value in (("TOTAL_FORMS", "0"), ("INITIAL_FORMS", "0"))
            },
        },
    )

    assert response.status_code == 302, response.content
    claim = Claim.objects.get(slug="bridge-near-sudzha-destroyed")
    assert (claim.status, claim.visibility, claim.version) == ("unverified", "draft", 1)
    assert claim.history.first().history_user == editor


def test_a_statement_saved_in_the_admin_bumps_its_claims_version(client, editor, demo):
    client.force_login(editor)
    statement = Statement.objects.select_related("claim").first()
    version = statement.claim.version

    response = client.post(
        url(Statement, "change", statement.pk),
        {
            "claim": statement.claim_id,
            "source": statement.source_id,
            "stance": statement.stance,
            "stated_on": statement.stated_on.isoformat(),
            "quote": "Corrected wording of the quote.",
            "quote_language": "en",
            "translation": "",
            "document": statement.document_id or "",
        },
    )

    assert response.status_code == 302, response.content
    statement.refresh_from_db()
    assert statement.quote == "Corrected wording of the quote."
    assert statement.claim.version == version + 1
    assert statement.history.first().history_user == editor
