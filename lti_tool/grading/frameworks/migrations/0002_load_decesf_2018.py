"""Ship DECESF 2018 with every install (domain.md §9: frameworks are data, loaded by migration).

The loader runs on the historical models of this point in the migration graph. Later
framework files (e.g. decesf-2025.yaml) get their own data migration naming their file, or
are loaded with ``manage.py frameworks_load``.
"""

from django.db import migrations

from lti_tool.grading.frameworks.constants import DATA_DIR


def load_decesf_2018(apps, schema_editor):
    from lti_tool.grading.frameworks.services import frameworks_load

    frameworks_load(paths=[DATA_DIR / "decesf-2018.yaml"], apps=apps)


class Migration(migrations.Migration):
    dependencies = [("frameworks", "0001_initial")]

    # Reversing keeps the rows: shipped codes may be referenced by grades (never deleted).
    operations = [migrations.RunPython(load_decesf_2018, migrations.RunPython.noop)]
