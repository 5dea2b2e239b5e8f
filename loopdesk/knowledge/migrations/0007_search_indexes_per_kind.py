"""PostgreSQL: the full-text and title-token GIN indexes split by kind (articles, tickets).

With a million ticket documents beside a hundred thousand articles, an article search that used the
shared indexes fetched every matching ticket row too, only to drop it for its kind (p95 30 → 150 ms).
Partial indexes keep each kind's search among its own documents."""

from django.db import migrations

KINDS = ("article", "ticket")
PG_FORWARD = [
    *(f"CREATE INDEX kb_searchdoc_vector_{kind} ON knowledge_searchdoc USING GIN (vector) WHERE kind = '{kind}'"
      for kind in KINDS),
    *(f"CREATE INDEX kb_searchdoc_title_tokens_{kind} ON knowledge_searchdoc USING GIN (string_to_array(title, ' ')) "
      f"WHERE kind = '{kind}'" for kind in KINDS),
    "DROP INDEX IF EXISTS kb_searchdoc_vector",
    "DROP INDEX IF EXISTS kb_searchdoc_title_tokens",
]
PG_BACKWARD = [
    "CREATE INDEX kb_searchdoc_vector ON knowledge_searchdoc USING GIN (vector)",
    "CREATE INDEX kb_searchdoc_title_tokens ON knowledge_searchdoc USING GIN (string_to_array(title, ' '))",
    *(f"DROP INDEX IF EXISTS kb_searchdoc_vector_{kind}" for kind in KINDS),
    *(f"DROP INDEX IF EXISTS kb_searchdoc_title_tokens_{kind}" for kind in KINDS),
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for sql in statements:
                schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0006_title_tokens_index")]

    operations = [migrations.RunPython(_run(PG_FORWARD), _run(PG_BACKWARD))]
