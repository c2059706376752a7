"""Load the demo dataset: cross-border fighting in Belgorod region, spring 2025.

Built from the news report in ``claims/demo/seed-article.txt``. Every record is
looked up by its natural key first, so running the command again changes
nothing, and records an editor has since changed are left as they are.
Claims, statements, evidence and verdicts go through ``claims.services``, as
they would from the admin or the API.
"""

from __future__ import annotations

import datetime
import hashlib
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

ARTICLE = Path(__file__).resolve().parents[2] / "demo" / "seed-article.txt"

EDITOR = "demo-editor"
REVIEWER = "demo-reviewer"


def utc(day: str, hour: int = 12) -> datetime.datetime:
    return datetime.datetime.fromisoformat(day).replace(hour=hour, tzinfo=datetime.UTC)


SOURCES: list[dict[str, Any]] = [
    {
        "slug": "volodymyr-zelensky",
        "name": "Volodymyr Zelensky",
        "kind": "person",
        "affiliation": "ukraine",
        "reliability": "C",
        "aliases": [
            "Zelensky",
            "Zelenskyy",
            "Zelenskiy",
            "Володимир Зеленський",
            "Зеленський",
            "Зеленский",
        ],
        "description": "President of Ukraine.",
        "homepage": "https://www.president.gov.ua/en",
    },
    {
        "slug": "russian-ministry-of-defence",
        "name": "Russian Ministry of Defence",
        "kind": "government",
        "affiliation": "russia",
        "reliability": "D",
        "aliases": [
            "Russian MoD",
            "Ministry of Defence of the Russian Federation",
            "Минобороны России",
            "Министерство обороны РФ",
        ],
        "description": "Ministry of Defence of the Russian Federation.",
        "homepage": "https://eng.mil.ru/",
    },
    {
        "slug": "institute-for-the-study-of-war",
        "name": "Institute for the Study of War",
        "kind": "think_tank",
        "affiliation": "independent",
        "reliability": "B",
        "aliases": ["ISW", "Институт изучения войны"],
        "description": "US-based think tank publishing daily campaign assessments.",
        "homepage": "https://www.understandingwar.org/",
    },
    {
        "slug": "russian-military-bloggers",
        "name": "Russian military bloggers",
        "kind": "collective",
        "affiliation": "russia",
        "reliability": "D",
        "aliases": ["milbloggers", "military bloggers", "военкоры", "военные блогеры"],
        "description": "Pro-war Russian commentators reporting from the front, "
        "mostly on Telegram.",
        "homepage": "",
    },
    {
        "slug": "donald-trump",
        "name": "Donald Trump",
        "kind": "person",
        "affiliation": "united_states",
        "reliability": "F",
        "aliases": ["Trump", "Дональд Трамп", "Трамп"],
        "description": "President of the United States.",
        "homepage": "",
    },
]

# Parents come before their children.
PLACES: list[dict[str, Any]] = [
    {
        "slug": "russia",
        "name": "Russia",
        "kind": "country",
        "parent": None,
        "alternate_names": ["Russian Federation", "Россия", "Росія"],
    },
    {
        "slug": "ukraine",
        "name": "Ukraine",
        "kind": "country",
        "parent": None,
        "alternate_names": ["Україна", "Украина"],
    },
    {
        "slug": "belgorod-region",
        "name": "Belgorod region",
        "kind": "region",
        "parent": "russia",
        "alternate_names": [
            "Belgorod Oblast",
            "Bilhorod",
            "Белгородская область",
            "Бєлгородська область",
        ],
    },
    {
        "slug": "demidovka",
        "name": "Demidovka",
        "kind": "village",
        "parent": "belgorod-region",
        "alternate_names": ["Demydivka", "Демидовка", "Демидівка"],
    },
    {
        "slug": "prilesye",
        "name": "Prilesye",
        "kind": "village",
        "parent": "belgorod-region",
        "alternate_names": ["Prylissia", "Prilesie", "Прилесье", "Прилісся"],
    },
    {
        "slug": "kursk-region",
        "name": "Kursk region",
        "kind": "region",
        "parent": "russia",
        "alternate_names": ["Kursk Oblast", "Курская область", "Курська область"],
    },
    {
        "slug": "sudzha",
        "name": "Sudzha",
        "kind": "town",
        "parent": "kursk-region",
        "alternate_names": ["Суджа"],
        "latitude": "51.190000",
        "longitude": "35.270000",
    },
    {
        "slug": "sumy-region",
        "name": "Sumy region",
        "kind": "region",
        "parent": "ukraine",
        "alternate_names": ["Sumy Oblast", "Сумська область", "Сумская область"],
    },
    {
        "slug": "kharkiv-region",
        "name": "Kharkiv region",
        "kind": "region",
        "parent": "ukraine",
        "alternate_names": [
            "Kharkiv Oblast",
            "Kharkov",
            "Харківська область",
            "Харьковская область",
        ],
    },
    {
        "slug": "donetsk-region",
        "name": "Donetsk region",
        "kind": "region",
        "parent": "ukraine",
        "alternate_names": ["Donetsk Oblast", "Донецька область", "Донецкая область"],
    },
    {
        "slug": "dnipropetrovsk-region",
        "name": "Dnipropetrovsk region",
        "kind": "region",
        "parent": "ukraine",
        "alternate_names": ["Dnipropetrovsk Oblast", "Дніпропетровська область"],
    },
    {
        "slug": "kryvyi-rih",
        "name": "Kryvyi Rih",
        "kind": "city",
        "parent": "dnipropetrovsk-region",
        "alternate_names": ["Krivoy Rog", "Kryvyy Rih", "Кривий Ріг", "Кривой Рог"],
        "latitude": "47.910500",
        "longitude": "33.391800",
    },
]

EVENTS: list[dict[str, Any]] = [
    {
        "slug": "belgorod-cross-border-operations-2025",
        "title": "Ukrainian cross-border operations in Belgorod region, "
        "March–April 2025",
        "summary": "Ukrainian forces operate across the border in Russia's Belgorod "
        "region. Russia says every attempt was repelled; Russian military "
        "bloggers and ISW report fighting in border villages; on 7 April "
        "Ukraine's president confirms the operations publicly.",
        "starts_on": datetime.date(2025, 3, 1),
        "ends_on": None,
        "places": ["belgorod-region", "demidovka", "prilesye", "kursk-region"],
    },
    {
        "slug": "kryvyi-rih-missile-strike-2025-04-04",
        "title": "Russian missile strike on Kryvyi Rih, 4 April 2025",
        "summary": "A missile strike on Kryvyi Rih, the president's home town.",
        "starts_on": datetime.date(2025, 4, 4),
        "ends_on": datetime.date(2025, 4, 4),
        "places": ["kryvyi-rih"],
    },
]

ARTICLE_TITLE = (
    "Zelensky confirms Ukrainian forces are operating in Russia's Belgorod region"
)

# Documents are looked up by title.
DOCUMENTS: list[dict[str, Any]] = [
    {
        "title": "Zelensky on the operation in Belgorod region, 18 March 2025",
        "publisher": "volodymyr-zelensky",
        "published_at": utc("2025-03-18", 18),
        "language": "uk",
        "excerpt": "Acknowledges that an “operation” is under way in Belgorod "
        "region, without confirming the presence of ground troops.",
    },
    {
        "title": "Russian Ministry of Defence: Ukrainian incursions into Belgorod "
        "region repelled",
        "publisher": "russian-ministry-of-defence",
        "published_at": utc("2025-03-18", 9),
        "language": "ru",
        "excerpt": "Reports repelling several Ukrainian attempts to cross the "
        "border into Belgorod region; all of them foiled.",
    },
    {
        "title": "Russian military bloggers report fighting in Demidovka",
        "publisher": "russian-military-bloggers",
        "published_at": utc("2025-03-18", 15),
        "language": "ru",
        "excerpt": "Telegram reports of fighting inside border villages such as "
        "Demidovka, two kilometres from the Ukrainian border.",
    },
    {
        "title": "Russian Offensive Campaign Assessment, March 21, 2025",
        "publisher": "institute-for-the-study-of-war",
        "published_at": utc("2025-03-21", 23),
        "language": "en",
        "url": "https://www.understandingwar.org/backgrounder/"
        "russian-offensive-campaign-assessment-march-21-2025",
        "excerpt": "Ukrainian troops recently advanced into Belgorod region and "
        "are consolidating positions near Demidovka and Prilesye.",
    },
    {
        "title": "Zelensky's evening address, 7 April 2025",
        "publisher": "volodymyr-zelensky",
        "published_at": utc("2025-04-07", 19),
        "language": "uk",
        "excerpt": "“We continue to carry out active operations in the border areas "
        "on enemy territory, and that is absolutely just—war must return to "
        "where it came from.”",
    },
    {
        "title": ARTICLE_TITLE,
        "publisher": None,
        "published_at": utc("2025-04-08", 6),
        "language": "en",
        "article": True,
    },
]

ZEL_18MAR, MOD, BLOGGERS, ISW, ZEL_7APR, ARTICLE_DOC = (d["title"] for d in DOCUMENTS)

ZEL_QUOTE = (
    "We continue to carry out active operations in the border areas on enemy "
    "territory, and that is absolutely just—war must return to where it came from."
)

# Each claim: its statements, its evidence, then its timeline in date order.
# A timeline step is ("status", day, user, new status, rationale, evidence
# documents) or ("publish", day, user).
CLAIMS: list[dict[str, Any]] = [
    {
        "slug": "ukrainian-forces-operating-in-belgorod-region",
        "text": "Ukrainian forces are conducting ground operations inside Russia's "
        "Belgorod region.",
        "event": "belgorod-cross-border-operations-2025",
        "places": ["belgorod-region"],
        "created": "2025-03-18",
        "statements": [
            (
                "volodymyr-zelensky",
                "asserts",
                "2025-03-18",
                ZEL_18MAR,
                True,
                "Acknowledged that an “operation” was under way in Belgorod region, "
                "without confirming the presence of ground troops.",
            ),
            (
                "russian-ministry-of-defence",
                "denies",
                "2025-03-18",
                MOD,
                True,
                "Reported repelling several Ukrainian incursions into Belgorod region: "
                "all attempts to cross the border had been foiled.",
            ),
            (
                "russian-military-bloggers",
                "asserts",
                "2025-03-18",
                BLOGGERS,
                True,
                "Reported fighting inside border villages such as Demidovka.",
            ),
            (
                "institute-for-the-study-of-war",
                "asserts",
                "2025-03-21",
                ISW,
                True,
                "Ukrainian troops had recently advanced into Belgorod and were "
                "consolidating positions near Demidovka and Prilesye.",
            ),
            ("volodymyr-zelensky", "asserts", "2025-04-07", ZEL_7APR, False, ZEL_QUOTE),
        ],
        "evidence": [
            (MOD, "refutes", "The Russian MoD's report of all crossings repelled."),
            (BLOGGERS, "supports", "Russian sources report fighting inside Russia."),
            (ISW, "supports", "ISW's assessment of advances near Demidovka."),
            (ZEL_7APR, "supports", "Ukraine's president confirms the operations."),
        ],
        "timeline": [
            (
                "status",
                "2025-03-19",
                EDITOR,
                "disputed",
                "Russian military bloggers report fighting in Demidovka; the Russian "
                "MoD says every crossing was repelled.",
                [MOD, BLOGGERS],
            ),
            ("publish", "2025-03-19", REVIEWER),
            (
                "status",
                "2025-03-22",
                EDITOR,
                "partly_confirmed",
                "ISW's 21 March assessment backs the reports of Ukrainian advances "
                "near Demidovka and Prilesye.",
                [BLOGGERS, ISW],
            ),
            (
                "status",
                "2025-04-08",
                REVIEWER,
                "confirmed",
                "Ukraine's president confirmed the operations on 7 April; Russian "
                "military bloggers and ISW had reported them. Only the Russian MoD "
                "denies.",
                [BLOGGERS, ISW, ZEL_7APR],
            ),
        ],
    },
    {
        "slug": "all-ukrainian-incursions-into-belgorod-repelled",
        "text": "Every Ukrainian attempt to cross into Belgorod region in March 2025 "
        "was repelled.",
        "event": "belgorod-cross-border-operations-2025",
        "places": ["belgorod-region"],
        "created": "2025-03-18",
        "statements": [
            (
                "russian-ministry-of-defence",
                "asserts",
                "2025-03-18",
                MOD,
                True,
                "All attempts by Ukrainian forces to cross the border into Belgorod "
                "region were foiled.",
            ),
            (
                "russian-military-bloggers",
                "denies",
                "2025-03-18",
                BLOGGERS,
                True,
                "Reported fighting inside border villages such as Demidovka.",
            ),
            (
                "institute-for-the-study-of-war",
                "denies",
                "2025-03-21",
                ISW,
                True,
                "Ukrainian troops had recently advanced into Belgorod region.",
            ),
            ("volodymyr-zelensky", "denies", "2025-04-07", ZEL_7APR, False, ZEL_QUOTE),
        ],
        "evidence": [
            (MOD, "supports", "The claim's own source."),
            (BLOGGERS, "refutes", "Russian sources report fighting inside Russia."),
            (ISW, "refutes", "ISW reports Ukrainian advances into the region."),
            (ZEL_7APR, "refutes", "Ukraine's president confirms the operations."),
        ],
        "timeline": [
            (
                "status",
                "2025-03-19",
                EDITOR,
                "disputed",
                "Russian military bloggers contradict the MoD's account.",
                [MOD, BLOGGERS],
            ),
            ("publish", "2025-03-19", REVIEWER),
            (
                "status",
                "2025-04-08",
                REVIEWER,
                "false",
                "Fighting inside Belgorod region is reported by ISW and Russian "
                "military bloggers and confirmed by Ukraine's president.",
                [BLOGGERS, ISW, ZEL_7APR],
            ),
        ],
    },
    {
        "slug": "fighting-in-demidovka",
        "text": "Fighting took place inside the village of Demidovka in Belgorod "
        "region, about two kilometres from the Ukrainian border.",
        "event": "belgorod-cross-border-operations-2025",
        "places": ["demidovka"],
        "created": "2025-03-18",
        "statements": [
            (
                "russian-military-bloggers",
                "asserts",
                "2025-03-18",
                ISW,
                True,
                "Russian military bloggers reported fighting in Demidovka.",
            ),
            (
                "institute-for-the-study-of-war",
                "asserts",
                "2025-03-21",
                ISW,
                True,
                "Ukrainian troops were consolidating positions near Demidovka.",
            ),
        ],
        "evidence": [
            (BLOGGERS, "supports", "Reports from the Russian side."),
            (ISW, "supports", "ISW's assessment, which cites them."),
        ],
        "timeline": [
            (
                "status",
                "2025-03-22",
                EDITOR,
                "partly_confirmed",
                "Reported by sources on the Russian side and backed by ISW; not yet "
                "confirmed independently.",
                [BLOGGERS, ISW],
            ),
            ("publish", "2025-03-22", REVIEWER),
        ],
    },
    {
        "slug": "ukrainian-troops-consolidating-near-demidovka-and-prilesye",
        "text": "Ukrainian troops are consolidating positions near the villages of "
        "Demidovka and Prilesye in Belgorod region.",
        "event": "belgorod-cross-border-operations-2025",
        "places": ["demidovka", "prilesye"],
        "created": "2025-03-21",
        "statements": [
            (
                "institute-for-the-study-of-war",
                "asserts",
                "2025-03-21",
                ISW,
                True,
                "Ukrainian troops had recently advanced into Belgorod and were "
                "consolidating positions near the villages of Demidovka and "
                "Prilesye.",
            ),
        ],
        "evidence": [(ISW, "supports", "ISW's 21 March assessment.")],
        "timeline": [("publish", "2025-03-22", REVIEWER)],
    },
    {
        "slug": "225th-assault-regiment-deployed-in-belgorod",
        "text": "Ukraine's 225th Assault Regiment is deployed in Belgorod region.",
        "event": "belgorod-cross-border-operations-2025",
        "places": ["belgorod-region"],
        "created": "2025-04-08",
        "statements": [
            (
                "volodymyr-zelensky",
                "asserts",
                "2025-04-07",
                ZEL_7APR,
                True,
                "Singled out the 225th Assault Regiment for its deployment in "
                "Belgorod: “Well done, guys! I’m proud of each and every one who is "
                "fighting for Ukraine.”",
            ),
        ],
        "evidence": [(ZEL_7APR, "supports", "The president's address.")],
        "timeline": [],
    },
    {
        "slug": "ukraine-holds-position-in-kursk-region",
        "text": "Ukrainian forces still hold a small position in Russia's Kursk "
        "region.",
        "event": "belgorod-cross-border-operations-2025",
        "places": ["kursk-region"],
        "created": "2025-04-08",
        "statements": [
            (
                "volodymyr-zelensky",
                "asserts",
                "2025-04-07",
                ZEL_7APR,
                True,
                "Referred to Kursk region, where Ukrainian forces still hold a "
                "position.",
            ),
        ],
        "evidence": [
            (
                ARTICLE_DOC,
                "supports",
                "The report describes a small remaining foothold.",
            ),
        ],
        "timeline": [
            (
                "status",
                "2025-04-08",
                EDITOR,
                "partly_confirmed",
                "Reported as a small remaining foothold after Russia retook most "
                "of the territory.",
                [ARTICLE_DOC],
            ),
            ("publish", "2025-04-08", REVIEWER),
        ],
    },
    {
        "slug": "russia-retook-most-of-kursk-territory",
        "text": "Russia has retaken most of the Kursk region territory Ukrainian "
        "forces captured in 2024, including Sudzha.",
        "event": None,
        "places": ["kursk-region", "sudzha"],
        "created": "2025-04-08",
        "statements": [
            (
                "russian-ministry-of-defence",
                "asserts",
                "2025-03-13",
                None,
                True,
                "Reported that Russian forces had retaken most of the territory "
                "Ukraine held in Kursk region, including Sudzha.",
            ),
        ],
        "evidence": [
            (
                ARTICLE_DOC,
                "supports",
                "The report states Russia has since retaken most of the territory.",
            ),
        ],
        "timeline": [
            (
                "status",
                "2025-04-08",
                REVIEWER,
                "confirmed",
                "Independent reporting agrees that most of the territory was retaken.",
                [ARTICLE_DOC],
            ),
            ("publish", "2025-04-08", REVIEWER),
        ],
    },
    {
        "slug": "cross-border-operations-aim-to-protect-sumy-and-kharkiv",
        "text": "Ukraine's cross-border operations aim to protect the Sumy and "
        "Kharkiv regions and relieve pressure on the Donetsk front.",
        "event": "belgorod-cross-border-operations-2025",
        "places": ["sumy-region", "kharkiv-region", "donetsk-region"],
        "created": "2025-04-08",
        "statements": [
            (
                "volodymyr-zelensky",
                "asserts",
                "2025-04-07",
                ZEL_7APR,
                True,
                "The operations across the border are primarily aimed at protecting "
                "Sumy and Kharkiv regions and alleviating Russian pressure on the "
                "eastern front, including Donetsk region.",
            ),
        ],
        "evidence": [(ZEL_7APR, "context", "The stated intent.")],
        "timeline": [
            (
                "status",
                "2025-04-08",
                EDITOR,
                "unverifiable",
                "A statement of intent: it cannot be checked with available means.",
                [ZEL_7APR],
            ),
            ("publish", "2025-04-08", REVIEWER),
        ],
    },
    {
        "slug": "kryvyi-rih-missile-strike-killed-20",
        "text": "A Russian missile strike on Kryvyi Rih on 4 April 2025 killed 20 "
        "people, including nine children.",
        "event": "kryvyi-rih-missile-strike-2025-04-04",
        "places": ["kryvyi-rih"],
        "created": "2025-04-07",
        "statements": [],
        "evidence": [
            (
                ARTICLE_DOC,
                "supports",
                "Funerals were held on 7 April for the 20 "
                "people killed, including nine children.",
            ),
        ],
        "timeline": [
            (
                "status",
                "2025-04-08",
                REVIEWER,
                "confirmed",
                "Funerals for the 20 victims, nine of them children, were reported "
                "on 7 April.",
                [ARTICLE_DOC],
            ),
            ("publish", "2025-04-08", REVIEWER),
        ],
    },
    {
        "slug": "russia-bombing-ukraine-heavily-in-april-2025",
        "text": "Russia is bombing Ukraine heavily in early April 2025.",
        "event": None,
        "places": ["ukraine"],
        "created": "2025-04-08",
        "statements": [
            (
                "donald-trump",
                "asserts",
                "2025-04-07",
                ARTICLE_DOC,
                False,
                "I’m not happy about what’s going on … bombing like crazy right now.",
            ),
        ],
        "evidence": [
            (ARTICLE_DOC, "supports", "The Kryvyi Rih strike killed 20 people."),
        ],
        "timeline": [
            (
                "status",
                "2025-04-08",
                EDITOR,
                "partly_confirmed",
                "The deadly strike on Kryvyi Rih is confirmed; the overall intensity "
                "is not measured.",
                [ARTICLE_DOC],
            ),
            ("publish", "2025-04-08", REVIEWER),
        ],
    },
]

LINKS: list[tuple[str, str, str]] = [
    (
        "all-ukrainian-incursions-into-belgorod-repelled",
        "contradicts",
        "ukrainian-forces-operating-in-belgorod-region",
    ),
    (
        "fighting-in-demidovka",
        "supports",
        "ukrainian-forces-operating-in-belgorod-region",
    ),
    (
        "ukrainian-troops-consolidating-near-demidovka-and-prilesye",
        "supports",
        "ukrainian-forces-operating-in-belgorod-region",
    ),
    (
        "225th-assault-regiment-deployed-in-belgorod",
        "supports",
        "ukrainian-forces-operating-in-belgorod-region",
    ),
    (
        "kryvyi-rih-missile-strike-killed-20",
        "supports",
        "russia-bombing-ukraine-heavily-in-april-2025",
    ),
]


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
            sources = {row["slug"]: self.source(row, editor) for row in SOURCES}
            self.step("sources", len(sources))
            places: dict[str, Place] = {}
            for row in PLACES:
                places[row["slug"]] = self.place(row, places, editor)
            self.step("places", len(places))
            events = {row["slug"]: self.event(row, places, editor) for row in EVENTS}
            self.step("events", len(events))
            documents = {
                row["title"]: self.document(row, sources, editor) for row in DOCUMENTS
            }
            self.step("documents", len(documents))
            for row in CLAIMS:
                self.claim(row, events, places, sources, documents, users)
            self.step("claims", len(CLAIMS))
            for from_slug, kind, to_slug in LINKS:
                self.link(from_slug, kind, to_slug, editor)
            self.step("links", len(LINKS))
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
        }
        return self.get_or_create(Place, {"slug": row["slug"]}, values, by)

    def event(
        self, row: dict[str, Any], places: dict[str, Place], by: AbstractUser
    ) -> Event:
        values = {key: row[key] for key in ("title", "summary", "starts_on", "ends_on")}
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
            "published_at": row["published_at"],
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
        for source, stance, day, document, paraphrase, quote in row["statements"]:
            services.attribute_statement(
                claim,
                source=sources[source],
                stance=stance,
                stated_on=datetime.date.fromisoformat(day),
                quote=quote,
                quote_language="en",
                is_paraphrase=paraphrase,
                document=documents[document] if document else None,
                by=editor,
            )
        evidence = {
            title: services.add_evidence(
                claim, document=documents[title], stance=stance, note=note, by=editor
            )
            for title, stance, note in row["evidence"]
        }
        for hour, step in enumerate(row["timeline"], start=9):
            kind, day, username, *rest = step
            at = last = utc(day, hour)
            if kind == "publish":
                services.publish_claim(claim, by=users[username], at=at)
                continue
            status, rationale, titles = rest
            services.change_status(
                claim,
                to=Status(status),
                rationale=rationale,
                evidence=[evidence[title] for title in titles],
                by=users[username],
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
