from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "People"

    def ready(self):
        from . import mail  # noqa: F401  (registers the deployment check on mail)
