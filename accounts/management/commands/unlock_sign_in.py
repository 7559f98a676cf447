"""manage.py unlock_sign_in EMAIL: lift every password-guess lock on one account."""

from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from accounts.throttle import forget_account


class Command(BaseCommand):
    help = "Lift the sign-in locks on one account, from every address (docs/deploy.md)."

    def add_arguments(self, parser):
        parser.add_argument("email")

    def handle(self, *args, email, **options):
        try:
            user = User.objects.get_by_natural_key(email.strip())
        except User.DoesNotExist:
            raise CommandError(f"No account uses {email!r}.") from None
        forget_account(user)
        self.stdout.write(f"Sign-in locks lifted for {user.email}.")
