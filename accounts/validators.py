"""Password rules beyond Django's own (config/settings.py, AUTH_PASSWORD_VALIDATORS)."""

from django.core.exceptions import ValidationError


class DistinctCharactersValidator:
    """A password needs at least ``min_distinct`` different characters, spaces not counted.

    Django's minimum length counts any twelve characters, so twelve spaces or
    "aaaaaaaaaaaa" pass it. As a validator it applies wherever a password is set: sign-up,
    password change, reset, the admin and ``createsuperuser``.

    Raises ValidationError (code "password_too_repetitive")."""

    def __init__(self, min_distinct: int = 5):
        self.min_distinct = min_distinct

    def validate(self, password, user=None):
        if len({char for char in password if not char.isspace()}) < self.min_distinct:
            raise ValidationError(
                "This password is too repetitive: use at least %(min_distinct)d different "
                "characters besides spaces, such as a short sentence.",
                code="password_too_repetitive",
                params={"min_distinct": self.min_distinct},
            )

    def get_help_text(self):
        return (
            f"Your password must contain at least {self.min_distinct} different characters "
            "besides spaces."
        )
