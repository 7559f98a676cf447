"""Django's loaddata, with a one-line message when a fixture cannot be installed.

Django already installs a fixture in one transaction, so a bad file changes
nothing; but a JSON syntax error surfaces as a bare "Problem installing fixture"
with the actual problem hidden in a chained traceback. Here every such failure
becomes a CommandError that names the file and the problem.
"""

from django.core.management.base import CommandError
from django.core.management.commands import loaddata
from django.core.serializers.base import DeserializationError
from django.db import DatabaseError


class Command(loaddata.Command):
    def handle(self, *fixture_labels, **options):
        try:
            super().handle(*fixture_labels, **options)
        except (DeserializationError, DatabaseError, ValueError) as error:
            message = str(error).strip()
            if error.__cause__ is not None and str(error.__cause__) not in message:
                message = f"{message} {error.__cause__}"
            raise CommandError(message) from error
