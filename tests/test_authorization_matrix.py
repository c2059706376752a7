"""Deny by default: every operation of the OpenAPI schema × every role.

The operations come from the schema drf-spectacular generates, so a new
endpoint joins this matrix by itself, and fails it until ``RULES`` says what
kind of operation it is and which objects to try it on. Each kind has one
row of expected outcomes per role; any 2xx where a refusal is expected fails,
and so does a refusal where access is expected. A refused write changes no
stored row at all, and no answer to a reader mentions a draft.

Drafts belong to the desk, not to the editor who wrote them: another editor
may edit them (the ``editors_draft`` targets say so). Final verdicts,
publishing and deleting are the reviewers'.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.apps import apps
from knox.models import AuthToken
from rest_framework.test import APIClient

from claims import services
from claims.models import Status
from tests.claims.conftest import World
from tests.factories import (
    PASSWORD,
    ClaimLinkFactory,
    DocumentFactory,
    EvidenceFactory,
    InReviewClaimFactory,
    PublishedClaimFactory,
    StatementFactory,
)
from tests.openapi import operations

ROLES = ["anonymous", "reader", "editor", "other_editor", "reviewer", "admin"]
STAFF = {"editor", "other_editor", "reviewer", "admin"}

OK = "2xx"

# Expected outcome per role, by kind of operation.
KINDS: dict[str, dict[str, int | str]] = {
    # Published data and reference data: anyone.
    "read": dict.fromkeys(ROLES, OK),
    # A draft, or a part of one: a 404 for anyone who may not see it.
    "read_draft": {"anonymous": 404, "reader": 404, **dict.fromkeys(STAFF, OK)},
    # The desk's own data on a claim anyone may see (its notes): staff only.
    "staff_only": {"anonymous": 401, "reader": 403, **dict.fromkeys(STAFF, OK)},
    # Writes: editors and up; a draft is the desk's, not its author's.
    "write": {"anonymous": 401, "reader": 403, **dict.fromkeys(STAFF, OK)},
    # Publishing, final verdicts and deleting: reviewers (and superusers).
    "review": {
        "anonymous": 401,
        "reader": 403,
        "editor": 403,
        "other_editor": 403,
        "reviewer": OK,
        "admin": OK,
    },
    # Claims are addressed by slug: a draft's id names nothing, for anyone.
    "absent": dict.fromkeys(ROLES, 404),
    # Webhooks send the site's changes elsewhere: admins (superusers) only.
    "admin_only": {
        "anonymous": 401,
        **dict.fromkeys(["reader", "editor", "other_editor", "reviewer"], 403),
        "admin": OK,
    },
    # Signing in with one's own password: anyone with an account.
    "sign_in": {"anonymous": 401, **dict.fromkeys(ROLES[1:], OK)},
    # Revoking one's tokens: anyone signed in.
    "sign_out": {"anonymous": 401, **dict.fromkeys(ROLES[1:], OK)},
}


class MatrixWorld(World):
    """The API tests' world, plus what only authorization needs."""

    def __init__(self, reviewer, editor) -> None:
        super().__init__(reviewer)
        # A draft an editor wrote, for another editor to touch.
        self.editors_draft = services.create_claim(
            by=editor, text="A draft by the first editor.", slug="editors-draft"
        )
        # A claim with a final verdict, which only reviewers may overturn.
        self.final = PublishedClaimFactory(slug="final-claim", event=self.event)
        self.final_evidence = EvidenceFactory(claim=self.final, document=self.document)
        services.change_status(
            self.final,
            to=Status.CONFIRMED,
            rationale="Geolocated footage.",
            evidence=[self.final_evidence],
            by=reviewer,
            at=datetime.datetime(2025, 3, 22, 12, tzinfo=datetime.UTC),
        )
        self.final.refresh_from_db()
        self.loose_evidence = EvidenceFactory(
            claim=self.published,
            document=DocumentFactory(publisher=None),
            stance="context",
        )
        self.spare_claim = PublishedClaimFactory(slug="spare-claim")
        self.draft_link = ClaimLinkFactory(
            from_claim=self.draft, to_claim=self.other, kind="supports"
        )
        self.draft_denial = StatementFactory(
            claim=self.draft, source=self.other_source, stance="denies", document=None
        )
        self.third_document = DocumentFactory(publisher=None)
        # A draft submitted for review, for reviewers to publish or return.
        self.in_review = InReviewClaimFactory(
            slug="review-claim", text="A claim in review.", event=self.event
        )
        self.editor = editor
        for claim in (self.published, self.draft, self.other):
            claim.refresh_from_db()

    # Draft slugs and ids that must never reach a reader.
    def secrets(self) -> list[str]:
        return [
            "draft-claim",
            "editors-draft",
            "A draft about Sudzha",
            "review-claim",
            "A claim in review.",
        ]


Builder = Callable[[MatrixWorld], Any]


@dataclass
class Target:
    """One concrete request for an operation."""

    name: str
    kind: str
    params: Builder = lambda w: {}
    body: Builder | None = None
    claim: Builder | None = None  # whose ETag goes in If-Match
    query: dict[str, str] = field(default_factory=dict)


def _statement(claim: Builder) -> Builder:
    return lambda w: {
        "claim": claim(w).slug,
        "source": w.spare_source.slug,
        "stance": "asserts",
        "stated_on": "2025-03-21",
        "quote": "We are there.",
        "document": w.document.pk,
    }


def _evidence(claim: Builder, document: Builder) -> Builder:
    return lambda w: {
        "claim": claim(w).slug,
        "document": document(w).pk,
        "stance": "context",
        "note": "Seen.",
    }


def _link(from_claim: Builder, to_claim: Builder) -> Builder:
    return lambda w: {
        "from_claim": from_claim(w).slug,
        "to_claim": to_claim(w).slug,
        "kind": "supports",
        "note": "Same village.",
    }


def _slug(attr: str) -> Builder:
    return lambda w: {"slug": getattr(w, attr).slug}


def _id(attr: str) -> Builder:
    return lambda w: {"id": getattr(w, attr).pk}


def _claim(attr: str) -> Builder:
    return lambda w: getattr(w, attr)


def _part_rules(resource: str, parts: dict[str, tuple]) -> dict:
    """The usual five operations on a part of a claim; ``parts`` maps a target
    name to (the part's attribute, its claim's attribute, a body to add one,
    and optionally a body to replace the part with)."""
    base = f"/api/v1/{resource}/"
    item = f"{base}{{id}}/"
    rules: dict[str, list[Target]] = {
        f"GET {base}": [
            Target("list", "read"),
            Target("filtered by a draft", "read", query={"claim": "{draft}"}),
            Target("by a draft's id", "read", query={"claim": "{draft_id}"}),
        ],
        f"GET {item}": [],
        f"POST {base}": [],
        f"PUT {item}": [],
        f"PATCH {item}": [],
        f"DELETE {item}": [],
    }
    for name, (part, claim, body, *replacement) in parts.items():
        put_body = replacement[0] if replacement else body
        draft = claim in {"draft", "editors_draft"}
        read, write = ("read_draft", "write") if draft else ("read", "write")
        rules[f"GET {item}"].append(Target(name, read, _id(part)))
        rules[f"POST {base}"].append(
            Target(f"to {claim}", write, body=body, claim=_claim(claim))
        )
        rules[f"PUT {item}"].append(
            Target(name, write, _id(part), body=put_body, claim=_claim(claim))
        )
        rules[f"PATCH {item}"].append(
            Target(name, write, _id(part), body=lambda w: {}, claim=_claim(claim))
        )
        rules[f"DELETE {item}"].append(
            Target(name, write, _id(part), claim=_claim(claim))
        )
    return rules


def _reference_rules(
    resource: str, lookup: str, item: str, spare: str, body: Builder
) -> dict:
    base = f"/api/v1/{resource}/"
    path = f"{base}{{{lookup}}}/"
    param = _slug if lookup == "slug" else _id
    return {
        f"GET {base}": [Target("list", "read")],
        f"GET {path}": [Target(item, "read", param(item))],
        f"POST {base}": [Target("new", "write", body=body)],
        f"PUT {path}": [Target(item, "write", param(item), body=body)],
        f"PATCH {path}": [Target(item, "write", param(item), body=lambda w: {})],
        f"DELETE {path}": [Target(spare, "review", param(spare))],
    }


CLAIM = "/api/v1/claims/{slug}/"
WEBHOOK = "/api/v1/webhooks/{id}/"


def _webhook(w: MatrixWorld) -> dict:
    """An endpoint, made the first time a target asks for it."""
    from verifier.webhooks.models import Endpoint

    if not hasattr(w, "webhook"):
        w.webhook = Endpoint.objects.create(url="https://93.184.216.34/hook")
    return {"id": w.webhook.pk}


def _webhook_body(w: MatrixWorld) -> dict:
    return {"url": "https://93.184.216.34/other", "types": ["claim.published"]}


RULES: dict[str, list[Target]] = {
    "POST /api/v1/auth/login/": [Target("own password", "sign_in")],
    "POST /api/v1/auth/logout/": [Target("own token", "sign_out")],
    "POST /api/v1/auth/logout-all/": [Target("own tokens", "sign_out")],
    "GET /api/v1/claims/": [
        Target("list", "read"),
        Target("drafts asked for", "read", query={"visibility": "draft"}),
        Target("search for a draft's words", "read", query={"q": "Sudzha"}),
    ],
    "GET /api/v1/claims/similar/": [
        Target("a draft's words", "read", query={"text": "A draft about Sudzha"}),
    ],
    "GET /api/v1/claims/export/": [
        Target("everything", "read"),
        Target("drafts asked for", "read", query={"visibility": "draft"}),
        Target("as JSON Lines", "read", query={"format": "jsonl"}),
    ],
    "POST /api/v1/claims/": [
        Target("new draft", "write", body=lambda w: {"text": "A new claim."})
    ],
    f"GET {CLAIM}": [
        Target("published", "read", _slug("published")),
        Target("draft", "read_draft", _slug("draft")),
        Target("editor's draft", "read_draft", _slug("editors_draft")),
        Target("draft by id", "read_draft", lambda w: {"slug": w.draft.pk}),
    ],
    **{
        f"{method} {CLAIM}": [
            Target(
                name,
                "write",
                _slug(attr),
                body=lambda w, attr=attr: {
                    "text": "Reworded.",
                    "slug": getattr(w, attr).slug,
                    "places": [],
                },
                claim=_claim(attr),
            )
            for name, attr in [
                ("published", "published"),
                ("draft", "draft"),
                ("editor's draft", "editors_draft"),
            ]
        ]
        for method in ("PUT", "PATCH")
    },
    f"DELETE {CLAIM}": [
        Target("draft", "review", _slug("draft"), claim=_claim("draft")),
        Target(
            "editor's draft",
            "review",
            _slug("editors_draft"),
            claim=_claim("editors_draft"),
        ),
    ],
    f"GET {CLAIM}history/": [
        Target("published", "read", _slug("published")),
        Target("draft", "read_draft", _slug("draft")),
    ],
    f"POST {CLAIM}submit/": [
        Target("draft", "write", _slug("draft"), claim=_claim("draft")),
        Target(
            "editor's draft",
            "write",
            _slug("editors_draft"),
            claim=_claim("editors_draft"),
        ),
    ],
    f"POST {CLAIM}return/": [
        Target(
            "in review",
            "review",
            _slug("in_review"),
            body=lambda w: {"note": "Needs a second source."},
            claim=_claim("in_review"),
        )
    ],
    f"POST {CLAIM}publish/": [
        Target("in review", "review", _slug("in_review"), claim=_claim("in_review"))
    ],
    f"POST {CLAIM}assign/": [
        Target(
            name,
            "write",
            _slug(attr),
            body=lambda w: {"assignee": w.editor.pk},
            claim=_claim(attr),
        )
        for name, attr in [("draft", "draft"), ("published", "published")]
    ],
    f"GET {CLAIM}notes/": [
        Target("published", "staff_only", _slug("published")),
        Target("draft", "read_draft", _slug("draft")),
    ],
    f"POST {CLAIM}notes/": [
        Target(
            name, "write", _slug(attr), body=lambda w: {"text": "Call the press desk."}
        )
        for name, attr in [("published", "published"), ("draft", "draft")]
    ],
    f"POST {CLAIM}unpublish/": [
        Target("published", "review", _slug("published"), claim=_claim("published"))
    ],
    f"POST {CLAIM}status/": [
        Target(
            "draft to disputed",
            "write",
            _slug("draft"),
            body=lambda w: {
                "status": "disputed",
                "rationale": "Conflicting reports.",
                "evidence": [w.draft_evidence.pk],
            },
            claim=_claim("draft"),
        ),
        Target(
            "published, a correction",
            "write",
            _slug("published"),
            body=lambda w: {
                "status": "partly_confirmed",
                "rationale": "Part of it checks out.",
                "evidence": [w.evidence.pk],
            },
            claim=_claim("published"),
        ),
        Target(
            "draft to a final verdict",
            "review",
            _slug("draft"),
            body=lambda w: {
                "status": "confirmed",
                "rationale": "Geolocated footage.",
                "evidence": [w.draft_evidence.pk],
            },
            claim=_claim("draft"),
        ),
        Target(
            "a final verdict overturned",
            "review",
            _slug("final"),
            body=lambda w: {
                "status": "disputed",
                "rationale": "New footage contradicts it.",
                "evidence": [w.final_evidence.pk],
            },
            claim=_claim("final"),
        ),
    ],
    **_part_rules(
        "statements",
        {
            "published": ("statement", "published", _statement(_claim("published"))),
            "draft's": ("draft_statement", "draft", _statement(_claim("draft"))),
        },
    ),
    **_part_rules(
        "evidence",
        {
            "published": (
                "loose_evidence",
                "published",
                _evidence(_claim("published"), lambda w: w.third_document),
            ),
            "draft's": (
                "draft_evidence",
                "draft",
                _evidence(_claim("draft"), lambda w: w.third_document),
            ),
        },
    ),
    **_part_rules(
        "links",
        {
            "published": (
                "link",
                "published",
                _link(_claim("published"), _claim("spare_claim")),
                _link(_claim("published"), _claim("other")),
            ),
            "draft's": (
                "draft_link",
                "draft",
                _link(_claim("draft"), _claim("spare_claim")),
                _link(_claim("draft"), _claim("other")),
            ),
        },
    ),
    # The change log: each reader's own stream (drafts' entries for staff only).
    "GET /api/v1/changes/": [
        Target("everything", "read"),
        Target("claims' types", "read", query={"types": "claim.created,claim.removed"}),
        Target("after an entry", "read", query={"after": "1", "limit": "5"}),
    ],
    "GET /api/v1/webhooks/": [Target("list", "admin_only")],
    "POST /api/v1/webhooks/": [Target("new", "admin_only", body=_webhook_body)],
    f"GET {WEBHOOK}": [Target("endpoint", "admin_only", _webhook)],
    f"PUT {WEBHOOK}": [Target("endpoint", "admin_only", _webhook, body=_webhook_body)],
    f"PATCH {WEBHOOK}": [
        Target("endpoint", "admin_only", _webhook, body=lambda w: {"enabled": False})
    ],
    f"DELETE {WEBHOOK}": [Target("endpoint", "admin_only", _webhook)],
    f"GET {WEBHOOK}deliveries/": [Target("its log", "admin_only", _webhook)],
    **_reference_rules(
        "events",
        "slug",
        "event",
        "spare_event",
        lambda w: {"title": "Kursk incursion", "summary": "Fighting."},
    ),
    **_reference_rules(
        "places",
        "slug",
        "village",
        "spare_place",
        lambda w: {"name": "Prilesye", "kind": "village", "parent": w.region.slug},
    ),
    **_reference_rules(
        "sources",
        "slug",
        "source",
        "spare_source",
        lambda w: {
            "name": "ISW",
            "slug": "isw",
            "kind": "think_tank",
            "affiliation": "independent",
            "reliability": "B",
        },
    ),
    **_reference_rules(
        "documents",
        "id",
        "document",
        "spare_document",
        lambda w: {"title": "ISW update", "publisher": w.source.slug},
    ),
}


@dataclass
class Case:
    operation: str
    target: Target | None
    role: str

    def __str__(self) -> str:
        name = self.target.name if self.target else "UNCLASSIFIED"
        return f"{self.operation} [{name}] as {self.role}"


def _cases() -> list[Case]:
    cases = []
    for operation in map(str, operations()):
        targets = RULES.get(operation) or [None]
        for target in targets:
            cases.extend(Case(operation, target, role) for role in ROLES)
    return cases


def snapshot() -> dict[str, list]:
    """Every row of every project table, the audit history included."""
    return {
        model._meta.label: sorted(map(repr, model.objects.order_by("pk").values()))
        for model in apps.get_models()
        if model._meta.app_label in {"claims", "sources"}
    }


@pytest.fixture
def matrix_world(reviewer, editor) -> MatrixWorld:
    return MatrixWorld(reviewer, editor)


USERNAMES = {
    # Anonymous tries an existing account with a wrong password.
    "anonymous": "editor",
    "reader": "reader",
    "editor": "editor",
    "other_editor": "other-editor",
    "reviewer": "reviewer",
    "admin": "root",
}


def _client(request, role: str, *, with_token: bool) -> APIClient:
    client = APIClient()
    if role == "anonymous":
        return client
    user = request.getfixturevalue({"admin": "superuser"}.get(role, role))
    if with_token:
        _, token = AuthToken.objects.create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


@pytest.mark.django_db
@pytest.mark.parametrize("case", _cases(), ids=str)
def test_authorization_matrix(request, matrix_world, case):
    assert case.target is not None, (
        f"{case.operation} has no rule: add it to RULES in {__name__}, with the "
        "kind of operation it is and the objects to try it on."
    )
    w, target, role = matrix_world, case.target, case.role
    method, template = case.operation.split(" ", 1)
    path = template.format(**target.params(w))
    client = _client(request, role, with_token=target.kind != "sign_in")
    body = target.body(w) if target.body else None
    if target.kind == "sign_in":
        body = {
            "username": USERNAMES[role],
            "password": "wrong" if role == "anonymous" else PASSWORD,
        }
    headers = {}
    if target.claim is not None:
        headers["HTTP_IF_MATCH"] = target.claim(w).etag
    names = {"draft": w.draft.slug, "draft_id": w.draft.pk}
    query = {key: value.format(**names) for key, value in target.query.items()}
    if query:
        path = f"{path}?{'&'.join(f'{k}={v}' for k, v in query.items())}"
    before = snapshot()

    response = getattr(client, method.lower())(path, body, format="json", **headers)

    expected = KINDS[target.kind][role]
    if expected == OK:
        assert 200 <= response.status_code < 300, response.content
    else:
        assert response.status_code == expected, response.content
        assert response["Content-Type"] == "application/problem+json"
        if method != "GET" and target.kind != "sign_in":
            assert snapshot() == before, "a refused request changed stored data"
    if response.streaming:
        content = b"".join(response.streaming_content)
    else:
        content = response.content
    if role not in STAFF and content:
        media_type = response["Content-Type"].split(";")[0]
        if media_type in {"application/json", "application/problem+json"}:
            text = json.dumps(json.loads(content), ensure_ascii=False)
        else:
            text = content.decode()
        for secret in w.secrets():
            assert secret not in text, f"a draft leaked: {secret}"


def test_every_rule_names_an_operation_that_exists():
    """A rule left behind by a removed endpoint is a matrix that tests less
    than it says."""
    assert set(RULES) <= {str(op) for op in operations()}


def test_every_kind_covers_every_role():
    for kind, outcomes in KINDS.items():
        assert set(outcomes) == set(ROLES), kind
