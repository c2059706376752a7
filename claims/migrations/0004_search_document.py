"""One stored, indexed search document per claim, on PostgreSQL only.

``claims_claim.search_document`` is a ``tsvector`` (the ``simple`` configuration,
since quotes come in many languages) of the claim's text (weight A), its quotes
and translations (B), the names and aliases of the sources of its statements
and the names and alternate names of its places (C). A GIN index serves rare
words; the ``(updated_at, id)`` indexes serve the newest matches of common ones.

The document spans four tables, so PostgreSQL triggers keep it current, and
every writer (the services, the admin's and the API's plain saves of sources
and places, ``import_data``, a COPY) gets the same document without calling
anything. Statement-level triggers with transition tables turn a bulk write
into one set-based UPDATE. A source or place rename refreshes every claim that
names it, in the renaming transaction.

``claims_search_word`` is the vocabulary of the documents with a trigram index:
a misspelled or differently transliterated word is looked up there (a small
table) and the search retried with the close words (``ClaimQuerySet.search``).

The column is not a model field: Django never reads or writes it, SQLite (the
quickstart, whose search matches substrings) never has it, and the audit
history does not copy it. ``claims_search_refresh()`` rebuilds every document
and the vocabulary in one set-based pass; ``bench/generate.py`` calls it after
its COPY.
"""

from django.db import migrations

# The per-claim definition, used by the triggers.
FUNCTIONS = r"""
CREATE FUNCTION claims_search_document(claim bigint, claim_text text)
RETURNS tsvector LANGUAGE sql STABLE AS $$
    SELECT setweight(to_tsvector('simple', claim_text), 'A')
        || setweight(to_tsvector('simple', coalesce((
            SELECT string_agg(s.quote || ' ' || s.translation, ' ' ORDER BY s.id)
              FROM claims_statement s WHERE s.claim_id = claim), '')), 'B')
        || setweight(to_tsvector('simple', coalesce((
            SELECT string_agg(src.name || ' ' || src.aliases::text, ' ' ORDER BY s.id)
              FROM claims_statement s
              JOIN sources_source src ON src.id = s.source_id
             WHERE s.claim_id = claim), '')), 'C')
        || setweight(to_tsvector('simple', coalesce((
            SELECT string_agg(p.name || ' ' || p.alternate_names::text, ' '
                             ORDER BY cp.id)
              FROM claims_claim_places cp
              JOIN claims_place p ON p.id = cp.place_id
             WHERE cp.claim_id = claim), '')), 'C')
$$;

-- Claims in key order, so that two writers lock rows in the same order.
CREATE FUNCTION claims_search_update(ids bigint[]) RETURNS void
LANGUAGE sql VOLATILE AS $$
    UPDATE claims_claim c
       SET search_document = claims_search_document(c.id, c.text)
      FROM (SELECT id FROM claims_claim WHERE id = ANY(ids) ORDER BY id
            FOR NO KEY UPDATE) locked
     WHERE c.id = locked.id
$$;

CREATE FUNCTION claims_search_claim_text() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.search_document := claims_search_document(NEW.id, NEW.text);
    RETURN NEW;
END $$;

-- A statement or a claim-place link added, changed or removed.
CREATE FUNCTION claims_search_parts() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE ids bigint[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(DISTINCT claim_id) INTO ids FROM new_rows;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(DISTINCT claim_id) INTO ids FROM old_rows;
    ELSE
        SELECT array_agg(DISTINCT claim_id) INTO ids FROM (
            SELECT claim_id FROM new_rows UNION SELECT claim_id FROM old_rows
        ) changed;
    END IF;
    IF ids IS NOT NULL THEN
        PERFORM claims_search_update(ids);
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION claims_search_source_renamed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE ids bigint[];
BEGIN
    SELECT array_agg(DISTINCT s.claim_id) INTO ids
      FROM new_rows n JOIN old_rows o ON o.id = n.id
      JOIN claims_statement s ON s.source_id = n.id
     WHERE (n.name, n.aliases) IS DISTINCT FROM (o.name, o.aliases);
    IF ids IS NOT NULL THEN
        PERFORM claims_search_update(ids);
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION claims_search_place_renamed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE ids bigint[];
BEGIN
    SELECT array_agg(DISTINCT cp.claim_id) INTO ids
      FROM new_rows n JOIN old_rows o ON o.id = n.id
      JOIN claims_claim_places cp ON cp.place_id = n.id
     WHERE (n.name, n.alternate_names) IS DISTINCT FROM (o.name, o.alternate_names);
    IF ids IS NOT NULL THEN
        PERFORM claims_search_update(ids);
    END IF;
    RETURN NULL;
END $$;

-- New words go into the vocabulary, in sorted order so that concurrent
-- writers cannot deadlock on it; words no longer used stay, harmlessly.
CREATE FUNCTION claims_search_words() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO claims_search_word (word)
        SELECT DISTINCT word
          FROM new_rows, unnest(tsvector_to_array(new_rows.search_document)) word
         ORDER BY word
        ON CONFLICT DO NOTHING;
    ELSE
        INSERT INTO claims_search_word (word)
        SELECT DISTINCT word
          FROM new_rows, unnest(tsvector_to_array(new_rows.search_document)) word
         WHERE NOT EXISTS (
             SELECT FROM old_rows
              WHERE old_rows.id = new_rows.id
                AND old_rows.search_document = new_rows.search_document)
         ORDER BY word
        ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END $$;

-- Every document and the vocabulary, rebuilt in one set-based pass.
CREATE FUNCTION claims_search_refresh() RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE claims_claim c
       SET search_document = setweight(to_tsvector('simple', c.text), 'A')
           || coalesce(q.document, '') || coalesce(n.document, '')
           || coalesce(p.document, '')
      FROM claims_claim c2
      LEFT JOIN (
          SELECT claim_id, setweight(to_tsvector('simple',
                 string_agg(quote || ' ' || translation, ' ' ORDER BY id)), 'B') AS document
            FROM claims_statement GROUP BY claim_id
      ) q ON q.claim_id = c2.id
      LEFT JOIN (
          SELECT s.claim_id, setweight(to_tsvector('simple',
                 string_agg(src.name || ' ' || src.aliases::text, ' ' ORDER BY s.id)), 'C')
                 AS document
            FROM claims_statement s JOIN sources_source src ON src.id = s.source_id
           GROUP BY s.claim_id
      ) n ON n.claim_id = c2.id
      LEFT JOIN (
          SELECT cp.claim_id, setweight(to_tsvector('simple',
                 string_agg(pl.name || ' ' || pl.alternate_names::text, ' ' ORDER BY cp.id)),
                 'C')
                 AS document
            FROM claims_claim_places cp JOIN claims_place pl ON pl.id = cp.place_id
           GROUP BY cp.claim_id
      ) p ON p.claim_id = c2.id
     WHERE c.id = c2.id;
    INSERT INTO claims_search_word (word)
    SELECT DISTINCT unnest(tsvector_to_array(search_document)) FROM claims_claim
    ON CONFLICT DO NOTHING;
END $$;
"""

TRIGGERS = """
CREATE TRIGGER claims_search_claim_insert BEFORE INSERT ON claims_claim
    FOR EACH ROW EXECUTE FUNCTION claims_search_claim_text();
CREATE TRIGGER claims_search_claim_text BEFORE UPDATE OF text ON claims_claim
    FOR EACH ROW WHEN (OLD.text IS DISTINCT FROM NEW.text)
    EXECUTE FUNCTION claims_search_claim_text();
CREATE TRIGGER claims_search_words_insert AFTER INSERT ON claims_claim
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION claims_search_words();
CREATE TRIGGER claims_search_words_update AFTER UPDATE ON claims_claim
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION claims_search_words();
"""

PART_TABLES = ["claims_statement", "claims_claim_places"]
DROPPED_INDEXES = {
    "claim_text_fts": "claims_claim USING gin (to_tsvector('simple', text))",
    "claim_text_trgm": "claims_claim USING gin (text gin_trgm_ops)",
    "statement_words_fts": (
        "claims_statement USING gin "
        "(to_tsvector('simple', quote || ' ' || translation))"
    ),
    "statement_words_trgm": (
        "claims_statement USING gin ((quote || ' ' || translation) gin_trgm_ops)"
    ),
}


def _part_triggers() -> str:
    sql = []
    for table in PART_TABLES:
        for event, tables in (
            ("INSERT", "NEW TABLE AS new_rows"),
            ("DELETE", "OLD TABLE AS old_rows"),
            ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
        ):
            sql.append(
                f"CREATE TRIGGER {table}_search_{event.lower()} AFTER {event} "
                f"ON {table} REFERENCING {tables} "
                "FOR EACH STATEMENT EXECUTE FUNCTION claims_search_parts();"
            )
    for table, function in (
        ("sources_source", "claims_search_source_renamed"),
        ("claims_place", "claims_search_place_renamed"),
    ):
        sql.append(
            f"CREATE TRIGGER {table}_search_rename AFTER UPDATE ON {table} "
            "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {function}();"
        )
    return "\n".join(sql)


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    run = schema_editor.execute
    run("SET LOCAL maintenance_work_mem = '256MB'")
    # The text indexes the search used before: the document replaces them, and
    # the backfill below need not maintain them.
    for name in DROPPED_INDEXES:
        run(f"DROP INDEX IF EXISTS {name}")
    # The default lets a writer that bypasses the triggers (a COPY with them
    # disabled, as bench/generate.py does) insert; claims_search_refresh()
    # then fills the documents.
    run(
        "ALTER TABLE claims_claim "
        "ADD COLUMN search_document tsvector NOT NULL DEFAULT ''"
    )
    run("CREATE TABLE claims_search_word (word text PRIMARY KEY)")
    run(FUNCTIONS)
    run("SELECT claims_search_refresh()")
    run(TRIGGERS)
    run(_part_triggers())
    run(
        "CREATE INDEX claim_search_document ON claims_claim "
        "USING gin (search_document)"
    )
    run(
        "CREATE INDEX claim_search_word_trgm ON claims_search_word "
        "USING gin (word gin_trgm_ops)"
    )
    # The planner picks between the GIN index (rare words) and walking the
    # newest claims (common ones) from these statistics.
    run("ANALYZE claims_claim")
    run("ANALYZE claims_search_word")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    run = schema_editor.execute
    # CASCADE takes the triggers with their functions.
    for function in (
        "claims_search_refresh()",
        "claims_search_words()",
        "claims_search_place_renamed()",
        "claims_search_source_renamed()",
        "claims_search_parts()",
        "claims_search_claim_text()",
        "claims_search_update(bigint[])",
        "claims_search_document(bigint, text)",
    ):
        run(f"DROP FUNCTION IF EXISTS {function} CASCADE")
    run("ALTER TABLE claims_claim DROP COLUMN IF EXISTS search_document")
    run("DROP TABLE IF EXISTS claims_search_word")
    for name, definition in DROPPED_INDEXES.items():
        run(f"CREATE INDEX IF NOT EXISTS {name} ON {definition}")


class Migration(migrations.Migration):
    dependencies = [
        ("claims", "0003_search_indexes"),
        ("sources", "0002_search_indexes"),
    ]

    operations = [migrations.RunPython(create, drop, elidable=False)]
