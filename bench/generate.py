"""Fill a scratch PostgreSQL database with a synthetic archive of claims.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/verifier_bench \\
        python bench/generate.py 10k [--reset] [--seed 6]

Sizes: ``100`` (the CI smoke run), ``10k``, ``100k``, ``1m`` or any number.
Per claim: about 3 statements and 2 evidence, 1–2 places, an event (100
claims each), a status with its StatusChange history resting on evidence;
90% published. The desk's state (``desk``): a quarter of the drafts in
review, another quarter returned with a note, every claim's review steps,
and one claim in 49 in someone's hands. Words follow a Zipf distribution
over a vocabulary of about 5,000 words, so a few words are in most claims and
most are rare; a tenth of the quotes are in Russian or Ukrainian (Cyrillic).
The same seed gives the same data.

It writes with ``COPY`` and bypasses ``claims.services``: the services lock a
row and write an audit history row per change, which would take hours at a
million claims. Every database constraint still holds (the database checks
them on COPY); what is skipped is the audit history (django-simple-history),
which the benchmarks do not read. Use a scratch database, never production.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import itertools
import json
import os
import random
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import django

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "verifier.settings")
os.environ.setdefault("DEBUG", "1")
django.setup()

from django.apps import apps  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402


def _words(text: str) -> list[str]:
    return text.split()


SIZES = {"100": 100, "1k": 1_000, "10k": 10_000, "100k": 100_000, "1m": 1_000_000}
CLAIMS_PER_EVENT = 100
EPOCH = datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)
SPAN_SECONDS = 2 * 365 * 24 * 3600

# Words the search benchmark asks for. With a Zipf vocabulary of this size and
# claims of about 14 words, rank 0 is in most claims and rank 60 in about 3%.
NEWS_WORDS = _words(
    "forces reported strike village attack drone troops regional governor border "
    "shelling ministry defence statement claimed destroyed evacuation artillery "
    "positions civilians casualties infrastructure bridge power station convoy "
    "missile air defence intercepted offensive counteroffensive frontline occupied "
    "liberated captured retreat reinforcements brigade battalion commander satellite "
    "imagery footage geolocated verified sources officials denied confirmed alleged "
    "investigation witnesses damaged residential buildings hospital school railway "
    "depot ammunition warehouse fuel storage checkpoint crossing sabotage incursion "
    "raid patrol ceasefire negotiations humanitarian corridor refugees shelter sirens "
    "explosion fire smoke debris wreckage aircraft helicopter tank armoured vehicle "
    "howitzer launcher radar"
)
CYRILLIC_WORDS = _words(
    "войска сообщили удар село атака беспилотник губернатор граница обстрел "
    "министерство обороны заявление уничтожен эвакуация артиллерия позиции мирные "
    "жители разрушения мост колонна ракета перехвачена наступление наші воїни діють "
    "області звільнено знищено техніку противника ворог обстріляв населений пункт "
    "укриття тривога вибух пожежа"
)
SYLLABLES = _words("ba ko ri ve lo na mi te sa du po gra vi ze ki mo ru sta ne lia")
# Most statements not yet judged (6), the rest spread over 1–5; most dated to
# the day.
CREDIBILITY = (6, 6, 6, 1, 2, 2, 3, 3, 4, 5)
TIME_PRECISION = ("day", "day", "day", "day", "week", "month")
PLACE_ROOTS = _words(
    "Demidovka Prilesye Sudzha Tetkino Glushkovo Krasnaya Yablonovo Nekhoteevka "
    "Kozinka Gora Bezymeno Popovka Vyazovoye Spodaryushino Zhuravlevka Graivoron "
    "Shebekino Valuyki Kupiansk Vovchansk Lyptsi Kozacha Lopan Zolochiv Sumy"
)
TRANSLIT = str.maketrans(
    {
        "a": "а",
        "b": "б",
        "v": "в",
        "g": "г",
        "d": "д",
        "e": "е",
        "z": "з",
        "i": "и",
        "y": "ы",
        "k": "к",
        "l": "л",
        "m": "м",
        "n": "н",
        "o": "о",
        "p": "п",
        "r": "р",
        "s": "с",
        "t": "т",
        "u": "у",
        "f": "ф",
        "h": "х",
        "c": "ц",
    }
)
STATUSES = (
    ("unverified", 30),
    ("disputed", 20),
    ("partly_confirmed", 15),
    ("confirmed", 15),
    ("misleading", 8),
    ("false", 10),
    ("unverifiable", 2),
)


class Progress:
    """One line on stderr, rewritten in place: rows written and rows per second."""

    def __init__(self, label: str, total: int) -> None:
        self.label, self.total, self.done = label, total, 0
        self.started = self.shown = time.monotonic()

    def advance(self, n: int = 1) -> None:
        self.done += n
        now = time.monotonic()
        if now - self.shown > 0.5 or self.done == self.total:
            self.shown = now
            rate = self.done / max(now - self.started, 1e-9)
            percent = 100 * self.done / max(self.total, 1)
            sys.stderr.write(
                f"\r{self.label:<12} {self.done:>10,}/{self.total:,} "
                f"{percent:5.1f}%  {rate:,.0f}/s  "
            )
            sys.stderr.flush()

    def close(self) -> None:
        elapsed = time.monotonic() - self.started
        sys.stderr.write(
            f"\r{self.label:<12} {self.done:>10,} in {elapsed:.1f}s{' ' * 30}\n"
        )


class Words:
    """A Zipf-distributed vocabulary: a few very common words, a long tail."""

    def __init__(self, rng: random.Random, size: int = 5_000) -> None:
        synthetic = (
            "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))
            for _ in itertools.count()
        )
        vocabulary = list(dict.fromkeys(NEWS_WORDS))
        seen = set(vocabulary)
        for word in synthetic:
            if len(vocabulary) >= size:
                break
            if word not in seen:
                seen.add(word)
                vocabulary.append(word)
        self.vocabulary = vocabulary
        self.weights = list(
            itertools.accumulate(1 / rank for rank in range(1, size + 1))
        )
        self.rng = rng

    def sentence(self, n: int) -> str:
        words = self.rng.choices(self.vocabulary, cum_weights=self.weights, k=n)
        return " ".join(words).capitalize() + "."

    def cyrillic(self, n: int) -> str:
        return " ".join(self.rng.choices(CYRILLIC_WORDS, k=n)).capitalize() + "."


def copy_rows(
    table: str, columns: Sequence[str], rows: Iterator[Sequence[Any]], total: int
) -> None:
    progress = Progress(table.split("_", 1)[1], total)
    # Columns the rows leave out take the model's own defaults (a version,
    # a flag), so a field added to a model needs no line here.
    model = next(
        m
        for m in apps.get_models(include_auto_created=True)
        if m._meta.db_table == table
    )
    omitted = [
        field
        for field in model._meta.concrete_fields
        if field.column not in columns
        and not field.null
        and field.get_default() is not None
    ]
    defaults = tuple(field.get_default() for field in omitted)
    names = [*columns, *(field.column for field in omitted)]
    sql = f"COPY {table} ({', '.join(names)}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row((*row, *defaults))
            progress.advance()
    progress.close()


# The tables whose triggers keep claims' search documents current (claims
# migration 0004).
SEARCH_TRIGGER_TABLES = _words(
    "claims_claim claims_statement claims_claim_places claims_place sources_source"
)


def reset() -> None:
    tables = _words(
        "claims_search_word claims_reviewstep claims_note "
        "claims_statuschangeevidence claims_statuschange "
        "claims_claimlink claims_evidence claims_statement claims_claim_places "
        "claims_claim "
        "claims_event_places claims_event claims_place sources_document "
        "sources_source"
    )
    history = [
        f"claims_historical{name}"
        for name in ("claim", "claim_places", "event", "event_places", "place")
    ] + [
        "claims_historicalstatement",
        "claims_historicalevidence",
        "claims_historicalclaimlink",
        "sources_historicalsource",
        "sources_historicaldocument",
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            f"TRUNCATE {', '.join(tables + history)} RESTART IDENTITY CASCADE"
        )


def generate(total: int, seed: int) -> None:
    rng = random.Random(seed)  # noqa: S311 - synthetic data, not secrets
    words = Words(rng)
    user, _ = get_user_model().objects.get_or_create(
        username="bench-reviewer", defaults={"is_staff": True}
    )
    now = EPOCH

    n_sources = 300
    grades = "ABCDEF"
    kinds = ["person", "government", "military", "think_tank", "media", "collective"]
    sides = ["ukraine", "russia", "united_states", "independent", "other"]
    sources = []
    for i in range(1, n_sources + 1):
        name = f"{words.sentence(2)[:-1]} {i}"
        aliases = [name.lower().translate(TRANSLIT), f"src{i}"]
        sources.append(
            (
                i,
                name,
                f"source-{i}",
                kinds[i % len(kinds)],
                sides[i % len(sides)],
                _json(aliases),
                words.sentence(12),
                f"https://source-{i}.example.org/",
                grades[i % len(grades)],
                now,
                now,
            )
        )
    copy_rows(
        "sources_source",
        _words(
            "id name slug kind affiliation aliases description homepage reliability "
            "created_at updated_at"
        ),
        iter(sources),
        n_sources,
    )

    # Places: two countries, 24 regions, and villages with Cyrillic spellings.
    n_villages = max(50, min(5_000, total // 200))
    places: list[tuple[Any, ...]] = [
        (1, "Russia", "russia", "country", None, _json(["Россия"]), None, None),
        (2, "Ukraine", "ukraine", "country", None, _json(["Україна"]), None, None),
    ]
    for r in range(24):
        places.append(
            (
                3 + r,
                f"Region {words.sentence(1)[:-1]} {r}",
                f"region-{r}",
                "region",
                1 + r % 2,
                _json([]),
                None,
                None,
            )
        )
    first_village = 3 + 24
    for v in range(n_villages):
        root = PLACE_ROOTS[v % len(PLACE_ROOTS)]
        name = root if v < len(PLACE_ROOTS) else f"{root} {v}"
        places.append(
            (
                first_village + v,
                name,
                f"place-{v}",
                "village",
                3 + v % 24,
                _json([name.lower().translate(TRANSLIT), f"{name}a"]),
                round(rng.uniform(50, 52), 6),
                round(rng.uniform(34, 38), 6),
            )
        )
    copy_rows(
        "claims_place",
        _words("id name slug kind parent_id alternate_names latitude longitude"),
        iter(places),
        len(places),
    )
    place_ids = range(first_village, first_village + n_villages)

    n_events = max(1, -(-total // CLAIMS_PER_EVENT))
    copy_rows(
        "claims_event",
        _words("id title slug summary starts_on ends_on created_at updated_at"),
        (
            (
                e,
                f"{words.sentence(5)[:-1]} ({e})",
                f"event-{e}",
                words.sentence(25),
                (now + datetime.timedelta(days=e % 700)).date(),
                None,
                now,
                now,
            )
            for e in range(1, n_events + 1)
        ),
        n_events,
    )

    n_documents = max(100, total // 2)
    copy_rows(
        "sources_document",
        _words(
            "id title url publisher_id published_at language archive_url "
            "content_sha256 excerpt created_at updated_at"
        ),
        (
            (
                d,
                words.sentence(8),
                f"https://news.example.org/{d}",
                1 + d % n_sources,
                now + datetime.timedelta(seconds=d * 37 % SPAN_SECONDS),
                "en" if d % 10 else "ru",
                f"https://archive.example.org/{d}" if d % 3 else "",
                hashlib.sha256(str(d).encode()).hexdigest(),
                words.sentence(20) if d % 4 == 0 else "",
                now,
                now,
            )
            for d in range(1, n_documents + 1)
        ),
        n_documents,
    )

    # Claims, newest last: ids follow updated_at, as in a live archive.
    statuses = [name for name, _ in STATUSES]
    status_weights = [weight for _, weight in STATUSES]
    claim_status: list[str] = []
    claim_time: list[datetime.datetime] = []
    claim_parts: list[int] = []

    def claims() -> Iterator[tuple[Any, ...]]:
        for c in range(1, total + 1):
            updated = now + datetime.timedelta(seconds=c * SPAN_SECONDS // total)
            created = updated - datetime.timedelta(hours=rng.randint(1, 240))
            status = rng.choices(statuses, status_weights)[0]
            published = rng.random() < 0.9
            claim_status.append(status)
            claim_time.append(created)
            parts = rng.randint(2, 4) + 2
            claim_parts.append(parts)
            text = words.sentence(rng.randint(8, 20))
            yield (
                c,
                text,
                f"claim-{c}",
                1 + (c - 1) // CLAIMS_PER_EVENT,
                status,
                "published" if published else "draft",
                updated if published else None,
                1 + parts + (status != "unverified"),
                created,
                updated,
            )

    copy_rows(
        "claims_claim",
        _words(
            "id text slug event_id status visibility published_at version created_at "
            "updated_at"
        ),
        claims(),
        total,
    )

    def claim_places() -> Iterator[tuple[int, int]]:
        for c in range(1, total + 1):
            for place in rng.sample(place_ids, rng.choice((1, 1, 2))):
                yield c, place

    copy_rows(
        "claims_claim_places", ["claim_id", "place_id"], claim_places(), total * 4 // 3
    )

    def statements() -> Iterator[tuple[Any, ...]]:
        s = 0
        for c in range(1, total + 1):
            day = claim_time[c - 1].date()
            for source in rng.sample(range(1, n_sources + 1), claim_parts[c - 1] - 2):
                s += 1
                cyrillic = rng.random() < 0.1
                quote = words.cyrillic(12) if cyrillic else words.sentence(16)
                yield (
                    s,
                    c,
                    source,
                    "asserts" if rng.random() < 0.6 else "denies",
                    day,
                    None,
                    quote,
                    rng.choice(("ru", "uk")) if cyrillic else "en",
                    words.sentence(16) if cyrillic else "",
                    rng.random() < 0.2,
                    1 + rng.randrange(n_documents) if s % 2 else None,
                    claim_time[c - 1],
                    rng.choice(CREDIBILITY),
                    rng.choice(TIME_PRECISION),
                )

    copy_rows(
        "claims_statement",
        _words(
            "id claim_id source_id stance stated_on stated_time quote quote_language "
            "translation is_paraphrase document_id created_at credibility "
            "time_precision"
        ),
        statements(),
        total * 3,
    )

    def evidence() -> Iterator[tuple[Any, ...]]:
        for c in range(1, total + 1):
            first = 1 + rng.randrange(n_documents)
            for k, document in enumerate((first, 1 + first % n_documents)):
                yield (
                    2 * c - 1 + k,
                    c,
                    document,
                    rng.choice(("supports", "refutes", "context")),
                    words.sentence(10) if k == 0 else "",
                    claim_time[c - 1],
                )

    copy_rows(
        "claims_evidence",
        ["id", "claim_id", "document_id", "stance", "note", "created_at"],
        evidence(),
        total * 2,
    )

    # Each verdict other than unverified has one change resting on evidence.
    changed = [c for c in range(1, total + 1) if claim_status[c - 1] != "unverified"]
    copy_rows(
        "claims_statuschange",
        _words(
            "id claim_id old_status new_status rationale is_correction changed_by_id "
            "changed_at"
        ),
        (
            (
                n,
                c,
                "unverified",
                claim_status[c - 1],
                words.sentence(18),
                False,
                user.pk,
                claim_time[c - 1] + datetime.timedelta(minutes=30),
            )
            for n, c in enumerate(changed, 1)
        ),
        len(changed),
    )
    copy_rows(
        "claims_statuschangeevidence",
        ["id", "status_change_id", "evidence_id"],
        ((n, n, 2 * c - 1) for n, c in enumerate(changed, 1)),
        len(changed),
    )

    with connection.cursor() as cursor:
        for table in (
            "sources_source",
            "sources_document",
            "claims_place",
            "claims_event",
            "claims_claim",
            "claims_claim_places",
            "claims_statement",
            "claims_evidence",
            "claims_statuschange",
            "claims_statuschangeevidence",
        ):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                f"coalesce((SELECT max(id) FROM {table}), 1))"
            )


DESK_USERS = 6


def desk() -> None:
    """The desk's state over the archive, set-based: drafts in review (each
    with its ``submitted`` step), drafts returned with a note (``submitted``
    then ``returned``), published claims with their ``submitted`` and
    ``published`` steps, and every 49th claim assigned to one of
    ``DESK_USERS`` editors. Run again, it starts over."""
    users = [
        get_user_model()
        .objects.get_or_create(username=f"desk-{n}", defaults={"is_staff": True})[0]
        .pk
        for n in range(DESK_USERS)
    ]
    # Claim c is in the hands of desk user number c % DESK_USERS.
    by = (
        "(SELECT u.id FROM desk_user u "
        "WHERE u.slot = c.id % (SELECT count(*) FROM desk_user))"
    )
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE desk_user (slot int, id int) ON COMMIT DROP")
        cursor.executemany(
            "INSERT INTO desk_user VALUES (%s, %s)", list(enumerate(users))
        )
        for statement in (
            "TRUNCATE claims_reviewstep, claims_note RESTART IDENTITY",
            "UPDATE claims_claim SET visibility = 'draft' "
            "WHERE visibility = 'in_review'",
            "UPDATE claims_claim SET assignee_id = NULL, returned_to_id = NULL "
            "WHERE assignee_id IS NOT NULL OR returned_to_id IS NOT NULL",
            "UPDATE claims_claim SET visibility = 'in_review' "
            "WHERE visibility = 'draft' AND id % 4 = 0",
            "INSERT INTO claims_reviewstep (claim_id, action, by_id, at) "
            "SELECT c.id, 'submitted', BY, c.updated_at FROM claims_claim c "
            "WHERE c.visibility = 'in_review' "
            "OR (c.visibility = 'draft' AND c.id % 4 = 1)",
            "INSERT INTO claims_note (claim_id, author_id, text, kind, created_at) "
            "SELECT c.id, BY, 'Name the second source.', 'returned', "
            "c.updated_at + interval '1 hour' FROM claims_claim c "
            "WHERE c.visibility = 'draft' AND c.id % 4 = 1",
            "INSERT INTO claims_reviewstep (claim_id, action, by_id, at, note_id) "
            "SELECT n.claim_id, 'returned', n.author_id, n.created_at, n.id "
            "FROM claims_note n",
            "UPDATE claims_claim c SET returned_to_id = BY "
            "WHERE c.visibility = 'draft' AND c.id % 4 = 1",
            "INSERT INTO claims_reviewstep (claim_id, action, by_id, at) "
            "SELECT c.id, s.action, BY, c.published_at - s.shift "
            "FROM claims_claim c, (VALUES ('submitted', interval '1 hour'), "
            "('published', interval '0')) AS s (action, shift) "
            "WHERE c.visibility = 'published'",
            "UPDATE claims_claim c SET assignee_id = BY WHERE c.id % 49 = 0",
        ):
            cursor.execute(statement.replace("BY", by))


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


def parse_size(raw: str) -> int:
    """``10k`` → 10000; a plain number is taken as it is."""
    return SIZES[raw.lower()] if raw.lower() in SIZES else int(raw.replace("_", ""))


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "size", nargs="?", help="100, 10k, 100k, 1m, or a number of claims"
    )
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument(
        "--reset", action="store_true", help="empty the claims and sources first"
    )
    parser.add_argument(
        "--desk",
        action="store_true",
        help="only (re)make the desk's state over the claims already there",
    )
    args = parser.parse_args(argv)
    if args.size is None and not args.desk:
        parser.error("give the size of the archive")
    if connection.vendor != "postgresql":
        raise SystemExit("Set DATABASE_URL to a scratch PostgreSQL database.")
    call_command("migrate", verbosity=0)
    if args.desk:
        started = time.monotonic()
        with transaction.atomic():
            desk()
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        print(f"the desk's state in {time.monotonic() - started:.0f}s")
        return
    total = parse_size(args.size)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM (SELECT 1 FROM claims_claim LIMIT 1) x")
        filled = cursor.fetchone()[0]
    if filled and not args.reset:
        raise SystemExit("The database holds claims already: add --reset.")
    started = time.monotonic()
    with transaction.atomic():
        reset()
        # The search documents' triggers would rewrite every claim once per
        # table loaded; one set-based pass after the load builds them instead.
        with connection.cursor() as cursor:
            for table in SEARCH_TRIGGER_TABLES:
                cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        generate(total, args.seed)
        desk()
        with connection.cursor() as cursor:
            # The deferred foreign-key checks first: ALTER TABLE waits for none.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for table in SEARCH_TRIGGER_TABLES:
                cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
            began = time.monotonic()
            cursor.execute("SELECT claims_search_refresh()")
            sys.stderr.write(f"search documents in {time.monotonic() - began:.1f}s\n")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    print(f"{total:,} claims in {time.monotonic() - started:.0f}s")


if __name__ == "__main__":
    main()
