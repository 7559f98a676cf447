"""Sign-in with a password, counted before the password is hashed."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from . import throttle


class ThrottledModelBackend(ModelBackend):
    """Django's ModelBackend, with each guess counted first (accounts/throttle.py).

    Serves our sign-in page and the admin's alike, since both call ``authenticate()``.
    A refused guess raises GuessRefused before any hashing; ``authenticate()`` then
    answers None and the request carries the refusal for the 429 page
    (accounts.security.RefusalMiddleware). Without a request (code calling
    ``authenticate()`` itself) nothing is counted."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        User = get_user_model()
        if username is None:
            username = kwargs.get(User.USERNAME_FIELD)
        if username is None or password is None:
            return None
        try:
            # The same lookup as ModelBackend's, so the count and the sign-in agree on
            # which account an email means, whatever its spelling.
            user = User._default_manager.get_by_natural_key(username)
        except User.DoesNotExist:
            user = None
        guess = throttle.reserve_guess(request, account=user, email=username) if request else None
        if user is None:
            # Hash anyway, as ModelBackend does, so an unknown email takes as long.
            User().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            if guess:
                guess.succeeded()
            return user
        return None
