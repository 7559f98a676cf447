# Takes over the cohort and membership tables that accounts.0002 created, as they are
# (accounts.0004 drops them from the accounts app's state). No table is touched here.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import cohorts.models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("accounts", "0004_cohorts_move_to_their_app"),
        ("roadmap", "0005_progressevent_batch"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Cohort",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("name", models.CharField(help_text="e.g. CSE batch 2027 — ML club", max_length=150)),
                        ("join_code", models.CharField(default=cohorts.models.new_join_code, max_length=32, unique=True)),
                        ("active", models.BooleanField(default=True, help_text="Archived cohorts accept no new students and leave the lists.")),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("mentors", models.ManyToManyField(related_name="mentored_cohorts", to=settings.AUTH_USER_MODEL)),
                        ("roadmap", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="cohorts", to="roadmap.roadmap")),
                    ],
                    options={"ordering": ["-active", "name"], "db_table": "accounts_cohort"},
                ),
                migrations.CreateModel(
                    name="Membership",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("joined_at", models.DateTimeField(auto_now_add=True)),
                        ("cohort", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="memberships", to="cohorts.cohort")),
                        ("student", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="memberships", to=settings.AUTH_USER_MODEL)),
                    ],
                    options={"ordering": ["joined_at", "pk"], "db_table": "accounts_membership"},
                ),
                migrations.AddField(
                    model_name="cohort",
                    name="students",
                    field=models.ManyToManyField(blank=True, related_name="cohorts", through="cohorts.Membership", to=settings.AUTH_USER_MODEL),
                ),
                migrations.AddConstraint(
                    model_name="membership",
                    constraint=models.UniqueConstraint(fields=("cohort", "student"), name="accounts_membership_unique"),
                ),
            ],
        ),
    ]
