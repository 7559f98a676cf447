import pytest
from django.contrib.auth import authenticate
from django.db import IntegrityError, transaction
from django.test import RequestFactory

from accounts.models import User
from tests.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def test_users_sign_in_with_email_in_any_case():
    user = UserFactory(email="Asha.Verma@Example.com")
    request = RequestFactory().post("/accounts/login/")
    assert authenticate(request, email="asha.verma@example.com", password=TEST_PASSWORD) == user
    assert authenticate(request, email="asha.verma@example.com", password="wrong") is None


def test_email_is_unique_ignoring_case():
    UserFactory(email="asha@example.com")
    with pytest.raises(IntegrityError), transaction.atomic():
        UserFactory(email="ASHA@example.com")


@pytest.mark.parametrize("batch", [1999, 2101])
def test_batch_must_be_a_plausible_admission_year(batch):
    with pytest.raises(IntegrityError), transaction.atomic():
        UserFactory(batch=batch)


def test_superuser_has_staff_rights_and_no_username():
    admin = User.objects.create_superuser("root@example.com", "a-long-passphrase", name="Root")
    assert admin.is_staff and admin.is_superuser
    assert not hasattr(admin, "username") or admin.username is None
    assert str(admin) == "Root"


def test_email_is_required():
    with pytest.raises(ValueError, match="email"):
        User.objects.create_user("", "a-long-passphrase")
