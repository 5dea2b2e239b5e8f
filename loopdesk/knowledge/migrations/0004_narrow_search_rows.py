"""PostgreSQL: keep knowledge_searchdoc rows narrow, so that a search reading thousands of matches
touches fewer pages: the body and character texts, which the vector already holds, are no longer stored
(see index._upsert_postgres), and the table is rewritten compact."""

from django.db import migrations


def narrow(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("UPDATE knowledge_searchdoc SET body = '', chars = '' WHERE body <> '' OR chars <> ''")
    # Rewrite the table so the narrow rows sit together (VACUUM cannot run in a transaction: atomic=False).
    schema_editor.execute("VACUUM FULL knowledge_searchdoc")


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("knowledge", "0003_needs_update_rewards_links")]

    operations = [migrations.RunPython(narrow, migrations.RunPython.noop)]
