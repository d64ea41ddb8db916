"""Publish the co-animation role-play briefs shipped in lti_tool/activities/roleplays/data/
on migrate.

Same pattern as 0002: historical models, criteria checked against DECESF-2018. Briefs
changed in a later release are published as new versions with ``manage.py activities_load``.
"""

from django.db import migrations


def publish_shipped_roleplays(apps, schema_editor):
    from lti_tool.activities.services import activities_load, roleplay_files

    activities_load(paths=roleplay_files(), apps=apps)


class Migration(migrations.Migration):
    dependencies = [
        ("activities", "0002_publish_shipped_scenarios"),
        ("frameworks", "0002_load_decesf_2018"),
    ]

    # Reversing keeps the rows: published versions may be referenced by placements.
    operations = [migrations.RunPython(publish_shipped_roleplays, migrations.RunPython.noop)]
