"""The database's own full-text index beside knowledge_searchdoc.

PostgreSQL: a tsvector column with a GIN index. SQLite: an FTS5 table (rowid = searchdoc id) whose
tokenizer keeps + # . _ - inside tokens, like segment.normalise does."""

from django.db import migrations

PG_FORWARD = [
    "ALTER TABLE knowledge_searchdoc ADD COLUMN vector tsvector NOT NULL DEFAULT ''::tsvector",
    "CREATE INDEX kb_searchdoc_vector ON knowledge_searchdoc USING GIN (vector)",
]
PG_BACKWARD = [
    "DROP INDEX IF EXISTS kb_searchdoc_vector",
    "ALTER TABLE knowledge_searchdoc DROP COLUMN IF EXISTS vector",
]
SQLITE_FORWARD = [
    "CREATE VIRTUAL TABLE knowledge_fts USING fts5(title, body, chars, "
    "tokenize = \"unicode61 remove_diacritics 0 tokenchars '+#._-'\", prefix = '1 2 3')",
]
SQLITE_BACKWARD = ["DROP TABLE IF EXISTS knowledge_fts"]


def _run(statements):
    def run(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        for sql in statements.get(vendor, []):
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"postgresql": PG_FORWARD, "sqlite": SQLITE_FORWARD}),
            _run({"postgresql": PG_BACKWARD, "sqlite": SQLITE_BACKWARD}),
        ),
    ]
