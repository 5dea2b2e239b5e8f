"""PostgreSQL: a GIN index over each search document's title tokens, so that a query can first take
the documents with every query term in the title (they rank first) without visiting every match."""

from django.db import migrations

PG_FORWARD = "CREATE INDEX kb_searchdoc_title_tokens ON knowledge_searchdoc USING GIN (string_to_array(title, ' '))"
PG_BACKWARD = "DROP INDEX IF EXISTS kb_searchdoc_title_tokens"


def _run(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0005_search_rank_index")]

    operations = [migrations.RunPython(_run(PG_FORWARD), _run(PG_BACKWARD))]
