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


# --- Near-duplicates ----------------------------------------------------------

# A claim's text longer than this is no text an editor is typing.
SIMILAR_MAX_LENGTH = 2000
SIMILAR_MAX_LIMIT = 20
# Words of the text considered, and how many of its rarest pick the candidates.
SIMILAR_WORDS = 30
SIMILAR_RARE_WORDS = 5
# A word in more than this share of the claims does not pick candidates (from
# PostgreSQL's statistics of the documents; unknown words count as rare).
SIMILAR_COMMON_SHARE = 0.01
# The claims sharing the most rare words that are scored (the newest first
# among equals): a bound on the work.
SIMILAR_CANDIDATES = 300
# A word found only in a claim's quotes, sources or places counts this much.
SIMILAR_ELSEWHERE = 0.5

# Per word of the text, its close words in the vocabulary (itself included
# when known), how close, and the share of claims whose documents hold it, as
# ANALYZE measured it (most_common_elems of the search document).
_SIMILAR_WORDS_SQL = """
WITH stats AS MATERIALIZED (
    SELECT e.word, e.share
      FROM pg_stats s,
           unnest(s.most_common_elems::text::text[], s.most_common_elem_freqs)
               AS e(word, share)
     WHERE s.schemaname = current_schema()
       AND s.tablename = 'claims_claim' AND s.attname = 'search_document'
)
SELECT lexeme, close.word, close.closeness, coalesce(stats.share, 0)
  FROM unnest(tsvector_to_array(to_tsvector('simple', %(q)s))) lexeme
 LEFT JOIN LATERAL (
    SELECT word, similarity(word, lexeme) AS closeness FROM claims_search_word
     WHERE word %% lexeme AND similarity(word, lexeme) >= %(similarity)s
     ORDER BY similarity(word, lexeme) DESC, word
     LIMIT %(alternatives)s) close ON true
  LEFT JOIN stats ON stats.word = close.word
"""

# The candidates share rare words with the text (the GIN index on the
# document); each is scored by the weighted Jaccard index of the text's words
# and the claim's own words: a word of the text counts by its closest word in
# the claim, fully in the claim's wording, by SIMILAR_ELSEWHERE in its quotes,
# sources or places.
_SIMILAR_SQL = """
WITH query AS (
    SELECT * FROM unnest(%(lexemes)s::text[], %(words)s::text[],
                         %(closeness)s::float8[]) AS q(lexeme, word, closeness)
), candidates AS (
    SELECT id, search_document FROM claims_claim
     WHERE search_document @@ {tsquery}
       {published}
     ORDER BY {shared}updated_at DESC, id DESC
     LIMIT %(candidates)s
), words AS MATERIALIZED (
    SELECT id, tsvector_to_array(search_document) AS every,
           tsvector_to_array(ts_filter(search_document, '{{a}}')) AS own
      FROM candidates
), scored AS MATERIALIZED (
    SELECT w.id, cardinality(w.own) AS own_words, coalesce((
        SELECT sum(best) FROM (
            SELECT max(q.closeness * CASE WHEN q.word = ANY(w.own) THEN 1
                                          ELSE %(elsewhere)s END) AS best
              FROM query q
             WHERE q.word = ANY(w.every)
             GROUP BY q.lexeme) matched
    ), 0) AS matched
      FROM words w
)
SELECT id, matched / greatest(%(n)s + own_words - matched, %(n)s) AS score
  FROM scored
 WHERE matched > 0
 ORDER BY score DESC, id DESC
 LIMIT %(limit)s
"""


def similar_scores(
    claims: QuerySet, text: str, *, published_only: bool, limit: int
) -> list[tuple[int, float]]:
    """The ids of the ``limit`` claims closest to ``text`` with their score in
    [0, 1], best first (see ``ClaimQuerySet.similar``)."""
    text = text.replace("\x00", "").encode("utf-8", "ignore").decode("utf-8")
    if connection.vendor == "postgresql":
        return _similar_scores(
            claims.db, text, published_only=published_only, limit=limit
        )
    return _similar_by_words(claims, text, published_only=published_only, limit=limit)


def _similar_scores(
    using: str, text: str, *, published_only: bool, limit: int
) -> list[tuple[int, float]]:
    with connections[using].cursor() as cursor:
        cursor.execute(
            _SIMILAR_WORDS_SQL,
            {
                "q": text,
                "similarity": SEARCH_FUZZY_SIMILARITY,
                "alternatives": SEARCH_FUZZY_ALTERNATIVES,
            },
        )
        close: dict[str, list[tuple[str, float, float]]] = {}
        for lexeme, word, closeness, share in cursor.fetchall():
            words = close.setdefault(lexeme, [])
            if word is not None:
                words.append((word, closeness, share))
        # A word the vocabulary holds as written picks candidates by itself;
        # one it does not, by its close words. All of them count in the score.
        picks = {
            lexeme: [(w, c, share) for w, c, share in words if w == lexeme] or words
            for lexeme, words in close.items()
        }
        lexemes = sorted(close, key=lambda w: (_share(picks[w]), -len(w)))
        lexemes = lexemes[:SIMILAR_WORDS]
        # The rarest known words pick the candidates, and order them by how
        # many of these they hold.
        ranked = [lexeme for lexeme in lexemes if picks[lexeme]]
        if not ranked:
            return []
        rare = [
            lexeme
            for lexeme in ranked[:SIMILAR_RARE_WORDS]
            if _share(picks[lexeme]) < SIMILAR_COMMON_SHARE
        ]
        params: dict[str, object] = {}
        groups = {}
        for i, lexeme in enumerate(ranked):
            alternatives = []
            for j, (word, _, _) in enumerate(picks[lexeme]):
                params[f"w{i}_{j}"] = word
                alternatives.append(f"plainto_tsquery('simple', %(w{i}_{j})s)")
            groups[lexeme] = "(" + " || ".join(alternatives) + ")"
        if not rare:
            # Only common words: claims holding them all, as the search does,
            # the newest first.
            tsquery = " && ".join(groups.values())
            shared = ""
        else:
            if len(rare) == 1:
                tsquery = groups[rare[0]]
            else:
                # Two rare words in common, not one: fewer, closer candidates.
                tsquery = " || ".join(
                    f"({groups[a]} && {groups[b]})"
                    for n, a in enumerate(rare)
                    for b in rare[n + 1 :]
                )
            # The more of the rarest words a claim holds, the closer.
            shared = (
                " + ".join(
                    f"(search_document @@ {groups[lexeme]})::int"
                    for lexeme in ranked[:SIMILAR_RARE_WORDS]
                )
                + " DESC, "
            )
        rows = [(lexeme, word, c) for lexeme in lexemes for word, c, _ in close[lexeme]]
        params |= {
            "lexemes": [lexeme for lexeme, _, _ in rows],
            "words": [word for _, word, _ in rows],
            "closeness": [c for _, _, c in rows],
            "n": float(len(lexemes)),
            "elsewhere": SIMILAR_ELSEWHERE,
            "candidates": SIMILAR_CANDIDATES,
            "limit": limit,
        }
        cursor.execute(
            _SIMILAR_SQL.format(
                tsquery="(" + tsquery + ")",
                shared=shared,
                published="AND visibility = 'published'" if published_only else "",
            ),
            params,
        )
        return [(pk, float(score)) for pk, score in cursor.fetchall()]


def _share(close: list[tuple[str, float, float]]) -> float:
    """The share of claims holding any of a word's close words, at most."""
    return max((share for *_, share in close), default=1.0)


_WORD = re.compile(r"\w+")


def _similar_by_words(
    claims: QuerySet, text: str, *, published_only: bool, limit: int
) -> list[tuple[int, float]]:
    """Elsewhere (the SQLite quickstart): the Jaccard index of the words of the
    text and of each of the newest claims' wording."""
    words = set(_WORD.findall(text.lower()))
    if not words:
        return []
    if published_only:
        claims = claims.published()
    scores = []
    for pk, claim_text in claims.order_by("-updated_at", "-id").values_list(
        "id", "text"
    )[:SIMILAR_CANDIDATES]:
        own = set(_WORD.findall(claim_text.lower()))
        shared = len(words & own)
        if shared:
            scores.append((pk, shared / len(words | own)))
    scores.sort(key=lambda item: (-item[1], -item[0]))
    return scores[:limit]
