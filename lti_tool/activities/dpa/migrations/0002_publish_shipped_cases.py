"""Publish the DPA cases shipped in lti_tool/activities/dpa/data/ on migrate.

Same pattern as activities 0002/0003: historical models, criteria checked against
DECESF-2018. Cases changed in a later release are published as new versions with
``manage.py activities_load``.
"""

from django.db import migrations


def publish_shipped_cases(apps, schema_editor):
    from lti_tool.activities.services import activities_load, dpa_files

    activities_load(paths=dpa_files(), apps=apps)


class Migration(migrations.Migration):
    dependencies = [
        ("dpa", "0001_initial"),
        ("activities", "0003_publish_shipped_roleplays"),
        ("frameworks", "0002_load_decesf_2018"),
    ]

    # Reversing keeps the rows: published versions may be referenced by placements.
    operations = [migrations.RunPython(publish_shipped_cases, migrations.RunPython.noop)]
