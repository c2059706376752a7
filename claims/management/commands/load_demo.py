"""Load the demo dataset: cross-border fighting in Belgorod region, spring 2025.

Built from the news report in ``claims/demo/seed-article.txt``; the records are
the JSON files beside it (``sources``, ``places``, ``events``, ``documents``,
``claims``, ``links``), read in that order, each naming the records it refers
to by slug (documents by title, people by username). A claim holds its
statements, its evidence and its timeline in date order: steps that change its
status (``"action": "status"``) or publish it. Every record is
looked up by its natural key first, so running the command again changes
nothing, and records an editor has since changed are left as they are.
Claims, statements, evidence and verdicts go through ``claims.services``, as
they would from the admin or the API.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser, Group
from django.core.management.base import BaseCommand
from django.db import transaction

from claims import services
from claims.models import (
    Claim,
    ClaimLink,
    Event,
    Evidence,
    Place,
    Statement,
    Status,
)
from sources.models import Document, Source

DEMO = Path(__file__).resolve().parents[2] / "demo"
ARTICLE = DEMO / "seed-article.txt"

EDITOR = "demo-editor"
REVIEWER = "demo-reviewer"


def utc(day: str, hour: int = 12) -> datetime.datetime:
    return datetime.datetime.fromisoformat(day).replace(hour=hour, tzinfo=datetime.UTC)


def dataset(name: str) -> list[dict[str, Any]]:
    return json.loads((DEMO / f"{name}.json").read_text(encoding="utf-8"))


class Command(BaseCommand):
    help = "Load the demo dataset (Belgorod, spring 2025). Safe to run again."

    def handle(self, *args: Any, **options: Any) -> None:
        self.created = 0
        # When each claim loaded by this run was entered and last changed.
        self.stories: dict[int, tuple[datetime.datetime, datetime.datetime]] = {}
        self.links: list[ClaimLink] = []
        with transaction.atomic():
            editor = self.user(EDITOR, "Editors")
            reviewer = self.user(REVIEWER, "Reviewers")
            users = {EDITOR: editor, REVIEWER: reviewer}
            sources = {
                row["slug"]: self.source(row, editor) for row in dataset("sources")
            }
            self.step("sources", len(sources))
            places: dict[str, Place] = {}
            for row in dataset("places"):
                places[row["slug"]] = self.place(row, places, editor)
            self.step("places", len(places))
            events = {
                row["slug"]: self.event(row, places, editor)
                for row in dataset("events")
            }
            self.step("events", len(events))
            documents = {
                row["title"]: self.document(row, sources, editor)
                for row in dataset("documents")
            }
            self.step("documents", len(documents))
            claims = dataset("claims")
            for row in claims:
                self.claim(row, events, places, sources, documents, users)
            self.step("claims", len(claims))
            links = dataset("links")
            for row in links:
                self.link(row["from"], row["kind"], row["to"], editor)
            self.step("links", len(links))
            self.date_stories()
        verb = "Loaded" if self.created else "Already loaded"
        self.stdout.write(
            self.style.SUCCESS(f"{verb}: {self.created} records created.")
        )

    def step(self, name: str, count: int) -> None:
        self.stdout.write(f"  {name:<10} {count:>3}")

    def user(self, username: str, group: str) -> AbstractUser:
        user, created = get_user_model().objects.get_or_create(
            username=username, defaults={"is_staff": True}
        )
        if created:
            user.set_unusable_password()
            user.save()
            user.groups.add(Group.objects.get(name=group))
            self.created += 1
        return user

    def get_or_create(self, model: type, lookup: dict, values: dict, by: AbstractUser):
        obj = model.objects.filter(**lookup).first()
        if obj is None:
            obj = model(**lookup, **values)
            obj.full_clean()
            obj._history_user = by
            obj.save()
            self.created += 1
        return obj

    def source(self, row: dict[str, Any], by: AbstractUser) -> Source:
        values = {key: value for key, value in row.items() if key != "slug"}
        return self.get_or_create(Source, {"slug": row["slug"]}, values, by)

    def place(
        self, row: dict[str, Any], places: dict[str, Place], by: AbstractUser
    ) -> Place:
        values = {
            "name": row["name"],
            "kind": row["kind"],
            "parent": places[row["parent"]] if row["parent"] else None,
            "alternate_names": row["alternate_names"],
            "latitude": Decimal(row["latitude"]) if "latitude" in row else None,
            "longitude": Decimal(row["longitude"]) if "longitude" in row else None,
            "geo_precision": row["geo_precision"],
        }
        return self.get_or_create(Place, {"slug": row["slug"]}, values, by)

    def event(
        self, row: dict[str, Any], places: dict[str, Place], by: AbstractUser
    ) -> Event:
        values = {
            "title": row["title"],
            "summary": row["summary"],
            "starts_on": datetime.date.fromisoformat(row["starts_on"]),
            "ends_on": row["ends_on"] and datetime.date.fromisoformat(row["ends_on"]),
            "time_precision": row["time_precision"],
        }
        existed = Event.objects.filter(slug=row["slug"]).exists()
        event = self.get_or_create(Event, {"slug": row["slug"]}, values, by)
        if not existed:
            event.places.set(places[slug] for slug in row["places"])
        return event

    def document(
        self, row: dict[str, Any], sources: dict[str, Source], by: AbstractUser
    ) -> Document:
        values = {
            "url": row.get("url", ""),
            "publisher": sources[row["publisher"]] if row["publisher"] else None,
            "published_at": datetime.datetime.fromisoformat(row["published_at"]),
            "language": row["language"],
            "excerpt": row.get("excerpt", ""),
        }
        if row.get("article"):
            content = ARTICLE.read_bytes()
            values["content_sha256"] = hashlib.sha256(content).hexdigest()
            values["excerpt"] = content.decode().split("\n", 1)[0]
        return self.get_or_create(Document, {"title": row["title"]}, values, by)

    def claim(
        self,
        row: dict[str, Any],
        events: dict[str, Event],
        places: dict[str, Place],
        sources: dict[str, Source],
        documents: dict[str, Document],
        users: dict[str, AbstractUser],
    ) -> None:
        if Claim.objects.filter(slug=row["slug"]).exists():
            return
        editor = users[EDITOR]
        created = last = utc(row["created"], 8)
        claim = services.create_claim(
            text=row["text"],
            slug=row["slug"],
            event=events[row["event"]] if row["event"] else None,
            places=[places[slug] for slug in row["places"]],
            by=editor,
            at=created,
        )
        for statement in row["statements"]:
            document = statement["document"]
            # Built here, with the editor's judgement of its credibility and
            # how precisely it is dated, and saved as any statement is.
            services.save_part(
                Statement(
                    claim=claim,
                    source=sources[statement["source"]],
                    stance=statement["stance"],
                    stated_on=datetime.date.fromisoformat(statement["stated_on"]),
                    time_precision=statement["time_precision"],
                    credibility=statement["credibility"],
                    quote=statement["quote"],
                    quote_language="en",
                    is_paraphrase=statement["is_paraphrase"],
                    document=documents[document] if document else None,
                ),
                by=editor,
            )
        evidence = {
            item["document"]: services.add_evidence(
                claim,
                document=documents[item["document"]],
                stance=item["stance"],
                note=item["note"],
                by=editor,
            )
            for item in row["evidence"]
        }
        for hour, step in enumerate(row["timeline"], start=9):
            at = last = utc(step["on"], hour)
            if step["action"] == "publish":
                services.submit_claim(claim, by=editor)
                services.publish_claim(claim, by=users[step["by"]], at=at)
                continue
            services.change_status(
                claim,
                to=Status(step["to"]),
                rationale=step["rationale"],
                evidence=[evidence[title] for title in step["evidence"]],
                by=users[step["by"]],
                at=at,
            )
        self.stories[claim.pk] = (created, last)
        self.created += 1

    def link(self, from_slug: str, kind: str, to_slug: str, by: AbstractUser) -> None:
        from_claim = Claim.objects.get(slug=from_slug)
        to_claim = Claim.objects.get(slug=to_slug)
        if ClaimLink.objects.filter(
            from_claim=from_claim, to_claim=to_claim, kind=kind
        ).exists():
            return
        self.links.append(services.link_claims(from_claim, to_claim, kind=kind, by=by))
        self.created += 1

    def date_stories(self) -> None:
        """Date what this run loaded by its story (March–April 2025), not by
        the moment the command ran.

        The services date every edit of a claim by the clock, even a
        back-dated one, so that clients syncing on ``updated_at`` miss nothing;
        nobody has synced a dataset still being loaded. The audit history keeps
        the real time of each write, so that the site's last change, and with
        it every page's validators, still moves.
        """
        for pk, (created, last) in self.stories.items():
            Claim.objects.filter(pk=pk).update(updated_at=last)
            Statement.objects.filter(claim=pk).update(created_at=created)
            Evidence.objects.filter(claim=pk).update(created_at=created)
        # A link is dated when the later of its claims was entered.
        for link in self.links:
            entered = [
                self.stories[pk][0]
                for pk in (link.from_claim_id, link.to_claim_id)
                if pk in self.stories
            ]
            if len(entered) == 2:
                moment = max(entered)
                ClaimLink.objects.filter(pk=link.pk).update(created_at=moment)
                Claim.objects.filter(
                    pk__in=[link.from_claim_id, link.to_claim_id],
                    updated_at__lt=moment,
                ).update(updated_at=moment)
