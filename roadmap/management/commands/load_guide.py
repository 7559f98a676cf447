"""Load the default roadmap once: on a server, admins edit it after that.

`loaddata` writes every row of the fixture back, so running it at each deploy
would undo what admins changed in the Django admin. This loads the guide only
when its roadmap is not in the database yet (or when asked to with --reload).
"""

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from roadmap.models import Item, Roadmap


class Command(BaseCommand):
    help = "Load the default roadmap's fixture unless that roadmap exists already."

    def add_arguments(self, parser):
        parser.add_argument(
            "--reload", action="store_true", help="load it again, overwriting admin edits"
        )

    def handle(self, *args, reload, **options):
        slug = settings.WAYPOINT_DEFAULT_ROADMAP
        if Roadmap.objects.filter(slug=slug).exists() and not reload:
            self.stdout.write(f"The roadmap '{slug}' is there already; left as it is.")
            return
        call_command("loaddata", slug, verbosity=0)
        roadmap = Roadmap.objects.get(slug=slug)
        items = Item.objects.of_roadmap(roadmap).count()
        self.stdout.write(self.style.SUCCESS(f"Loaded '{roadmap}' ({items} items)."))
