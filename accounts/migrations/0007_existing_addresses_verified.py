"""Accounts from before email verification keep signing in: each user's address becomes
their verified, primary allauth EmailAddress (its owner has used it all along)."""

from django.db import migrations

BATCH = 1000


def addresses_verified(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    EmailAddress = apps.get_model("account", "EmailAddress")
    has_one = EmailAddress.objects.values("user_id")
    users = User.objects.exclude(pk__in=has_one).values_list("pk", "email").order_by("pk")
    EmailAddress.objects.bulk_create(
        (
            EmailAddress(user_id=pk, email=email.lower(), verified=True, primary=True)
            for pk, email in users.iterator(chunk_size=BATCH)
        ),
        batch_size=BATCH,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0006_clock_change"),
        ("account", "0009_emailaddress_unique_primary_email"),
    ]

    operations = [migrations.RunPython(addresses_verified, migrations.RunPython.noop)]
