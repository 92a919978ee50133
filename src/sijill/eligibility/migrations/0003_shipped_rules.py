"""Version 1 of the rules the ministry announced (data/rules.yaml), in force."""

from django.db import migrations


def install(apps, schema_editor):
    from sijill.eligibility.rules import install_shipped_rules

    install_shipped_rules(apps.get_model("eligibility", "Rule"))


class Migration(migrations.Migration):
    dependencies = [("eligibility", "0002_initial")]
    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
