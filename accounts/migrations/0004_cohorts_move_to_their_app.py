# Cohorts and memberships moved to the cohorts app. Their tables stay as they are here
# (cohorts.0001 takes them over, cohorts.0002 renames them): only Django's record of
# which app owns the models changes.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0003_guess_count"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(model_name="cohort", name="students"),
                migrations.DeleteModel(name="Membership"),
                migrations.DeleteModel(name="Cohort"),
            ],
        ),
    ]
