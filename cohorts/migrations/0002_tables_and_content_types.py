# The cohort tables get this app's names, and Django's content types for Cohort and
# Membership move here, so admin history and permissions granted on them follow.

from django.db import migrations, models

MODELS = ["cohort", "membership"]


def content_types_to(app_label):
    def move(apps, schema_editor):
        ContentType = apps.get_model("contenttypes", "ContentType")
        old_label = "accounts" if app_label == "cohorts" else "cohorts"
        for model in MODELS:
            old = ContentType.objects.filter(app_label=old_label, model=model).first()
            if old is None:
                continue  # a new database: post_migrate creates the right ones
            # One made meanwhile under the new label holds nothing the old one does not.
            ContentType.objects.filter(app_label=app_label, model=model).delete()
            old.app_label = app_label
            old.save(update_fields=["app_label"])

    return move


class Migration(migrations.Migration):

    dependencies = [
        ("cohorts", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.AlterModelTable(name="cohort", table=None),
        migrations.AlterModelTable(name="membership", table=None),
        migrations.RemoveConstraint(model_name="membership", name="accounts_membership_unique"),
        migrations.AddConstraint(
            model_name="membership",
            constraint=models.UniqueConstraint(
                fields=("cohort", "student"), name="cohorts_membership_unique"
            ),
        ),
        migrations.RunPython(content_types_to("cohorts"), content_types_to("accounts")),
    ]
