"""Publish the DSL project briefs shipped in lti_tool/activities/dsl/data/ on migrate.

Same pattern as activities/0003 (role-play briefs): historical models, criteria checked
against DECESF-2018. Briefs changed in a later release are published as new versions with
``manage.py activities_load``.
"""

from django.db import migrations


def publish_shipped_briefs(apps, schema_editor):
    from lti_tool.activities.services import activities_load, dsl_files

    activities_load(paths=dsl_files(), apps=apps)


class Migration(migrations.Migration):
    dependencies = [
        ("dsl", "0001_initial"),
        ("activities", "0003_publish_shipped_roleplays"),
        ("frameworks", "0002_load_decesf_2018"),
    ]

    # Reversing keeps the rows: published versions may be referenced by placements.
    operations = [migrations.RunPython(publish_shipped_briefs, migrations.RunPython.noop)]
