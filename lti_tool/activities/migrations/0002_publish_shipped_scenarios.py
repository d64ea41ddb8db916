"""Publish the scenarios shipped in lti_tool/activities/scenarios/data/ on migrate.

Runs on the historical models of this point in the graph, after DECESF-2018 is loaded
(the criteria are checked against it). Scenario files changed in a later release are
published as new versions with ``manage.py activities_load``.
"""

from django.db import migrations


def publish_shipped_scenarios(apps, schema_editor):
    from lti_tool.activities.services import activities_load

    activities_load(apps=apps)


class Migration(migrations.Migration):
    dependencies = [
        ("activities", "0001_initial"),
        ("frameworks", "0002_load_decesf_2018"),
    ]

    # Reversing keeps the rows: published versions may be referenced by attempts.
    operations = [migrations.RunPython(publish_shipped_scenarios, migrations.RunPython.noop)]
