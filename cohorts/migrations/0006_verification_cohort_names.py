from django.db import migrations


def name_cohorts(apps, schema_editor):
    """Verifications recorded for reviews made before cohorts were named on them: the
    cohort the mentor reviewed in is the one (the first, if several) that they mentor,
    that the student belongs to, on the item's roadmap."""
    Verification = apps.get_model("roadmap", "Verification")
    Cohort = apps.get_model("cohorts", "Cohort")
    unnamed = Verification.objects.filter(cohort_name="").exclude(mentor=None)
    for verification in unnamed.select_related("progress__item__milestone__stage").iterator():
        progress = verification.progress
        cohort = (
            Cohort.objects.filter(
                mentors=verification.mentor_id,
                students=progress.student_id,
                roadmap_id=progress.item.milestone.stage.roadmap_id,
            )
            .order_by("pk")
            .first()
        )
        if cohort is not None:
            verification.cohort_name = cohort.name
            verification.save(update_fields=["cohort_name"])


class Migration(migrations.Migration):
    dependencies = [
        ("cohorts", "0005_nudge"),
        ("roadmap", "0006_portfolio"),
    ]

    operations = [migrations.RunPython(name_cohorts, migrations.RunPython.noop)]
