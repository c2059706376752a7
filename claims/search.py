"""Search over claims: their wording, quotes, sources and places.

On PostgreSQL it reads each claim's stored search document,
``claims_claim.search_document``, and the vocabulary table
``claims_search_word``. Neither is a model field: both are created and kept
current by the triggers of migration ``0004_search_document`` (see its
docstring), so every writer gets the same document without calling anything.
A change to what a claim's document holds is a new migration replacing those
triggers, and ``claims_search_refresh()`` rebuilds every document. On SQLite
(the quickstart) search matches substrings instead (``verifier/sqlite.py``).
"""

from __future__ import annotations

import re

from django.contrib.postgres.fields import ArrayField
from django.db import connection, connections, models
from django.db.models import Case, F, Func, IntegerField, Q, QuerySet, Value, When

# Rank the newest matches only: ranking every row that holds a common word
# costs seconds at a million rows; matching alone is an index scan.
SEARCH_CANDIDATES = 200


def matching_ids(
    claims: QuerySet, text: str, *, published_only: bool, limit: int
) -> list[int]:
    """The ids of the ``claims`` (every claim) matching ``text``, best first
    (see ``ClaimQuerySet.search``)."""
    # Neither database takes NUL or text that is not UTF-8 (a lone
    # surrogate); nothing stored contains them.
    text = text.replace("\x00", "").encode("utf-8", "ignore").decode("utf-8")
    if connection.vendor == "postgresql":
        return _search_ids(claims.db, text, published_only=published_only, limit=limit)
    elif not text.strip():
        # As on PostgreSQL, where a query of no words matches nothing.
        return []
    else:
        matches = claims.filter(
            Q(text__icontains=text)
            | Q(statements__quote__icontains=text)
            | Q(statements__translation__icontains=text)
            | Q(statements__source__name__icontains=text)
            | Q(statements__source__aliases__icontains=text)
            | Q(places__name__icontains=text)
            | Q(places__alternate_names__icontains=text)
        )
        if published_only:
            matches = matches.published()
        return list(
            claims.filter(id__in=matches.values("id"))
            .order_by("-updated_at", "-id")
            .values_list("id", flat=True)[:limit]
        )


def rank(ids: list[int]) -> Func | Case:
    """1 for the first of ``ids``, 2 for the next…: the order of the matches."""
    if connection.vendor == "postgresql":
        # One array lookup per row; a CASE of hundreds of branches is slow.
        return Func(
            Value(ids, output_field=ArrayField(models.BigIntegerField())),
            F("id"),
            function="array_position",
            output_field=IntegerField(),
        )
    return Case(
        *(When(id=pk, then=Value(n)) for n, pk in enumerate(ids, 1)),
        output_field=IntegerField(),
    )


# A query of more words than this is not retried with close words.
SEARCH_FUZZY_WORDS = 8
# How many close words stand in for one word, and how close they must be.
SEARCH_FUZZY_ALTERNATIVES = 5
SEARCH_FUZZY_SIMILARITY = 0.45

# The tsquery is a constant when the statement is planned (the parameters are
# bound client-side and websearch_to_tsquery is immutable), so the planner
# reads the document's word statistics: for a rare word it takes the GIN index
# and sorts the few matches; for a common one it walks the (updated_at, id)
# index from the newest claim and stops after ``limit`` matches. numnode() = 0
# (nothing but operators or stop characters) folds to a false filter instead
# of a walk over every claim. Ranking touches only the candidates.
_SEARCH_SQL = """
SELECT id FROM (
    SELECT id, updated_at, search_document FROM claims_claim
     WHERE search_document @@ {tsquery}
       AND numnode({tsquery}) > 0
       {published}
     ORDER BY updated_at DESC, id DESC
     LIMIT %(limit)s
) candidates
ORDER BY ts_rank(search_document, {tsquery}) DESC, updated_at DESC, id DESC
"""

_SEARCH_WORDS_SQL = """
SELECT lexeme, ARRAY(
    SELECT word FROM claims_search_word
     WHERE word %% lexeme AND similarity(word, lexeme) >= %(similarity)s
     ORDER BY similarity(word, lexeme) DESC, word
     LIMIT %(alternatives)s)
  FROM unnest(tsvector_to_array(to_tsvector('simple', %(q)s))) lexeme
"""


def _exact_statement(
    text: str, *, published_only: bool, limit: int
) -> tuple[str, dict[str, object]]:
    sql = _SEARCH_SQL.format(
        tsquery="websearch_to_tsquery('simple', %(q)s)",
        published="AND visibility = 'published'" if published_only else "",
    )
    return sql, {"q": text, "limit": limit}


# Operators of websearch_to_tsquery other than AND: a phrase, OR, a negation.
# Swapping words for close ones keeps only the AND, so such a query is not
# retried.
_SEARCH_OPERATORS = re.compile(r'"|(^|\s)-\S|\sor\s', re.IGNORECASE)


def _search_ids(
    using: str, text: str, *, published_only: bool, limit: int
) -> list[int]:
    with connections[using].cursor() as cursor:
        cursor.execute(
            *_exact_statement(text, published_only=published_only, limit=limit)
        )
        ids = [row[0] for row in cursor.fetchall()]
        if ids or _SEARCH_OPERATORS.search(text):
            return ids
        # Nothing matched as written: try the close words of the vocabulary,
        # a small table with a trigram index, then match them as above.
        cursor.execute(
            _SEARCH_WORDS_SQL,
            {
                "q": text,
                "similarity": SEARCH_FUZZY_SIMILARITY,
                "alternatives": SEARCH_FUZZY_ALTERNATIVES,
            },
        )
        words = cursor.fetchall()
        if not words or len(words) > SEARCH_FUZZY_WORDS:
            return []
        if any(not close for _, close in words):
            return []  # a word with no close word: the AND cannot match
        params: dict[str, object] = {"limit": limit}
        groups = []
        for i, (_, close) in enumerate(words):
            alternatives = []
            for j, word in enumerate(close):
                params[f"w{i}_{j}"] = word
                alternatives.append(f"plainto_tsquery('simple', %(w{i}_{j})s)")
            groups.append("(" + " || ".join(alternatives) + ")")
        cursor.execute(
            _SEARCH_SQL.format(
                tsquery="(" + " && ".join(groups) + ")",
                published="AND visibility = 'published'" if published_only else "",
            ),
            params,
        )
        return [row[0] for row in cursor.fetchall()]
