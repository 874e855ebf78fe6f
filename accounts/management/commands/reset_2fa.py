import logging

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from accounts import two_factor

logger = logging.getLogger("accounts.two_factor")


class Command(BaseCommand):
    help = (
        "Remove a user's second factor (authenticator app and recovery codes) "
        "after they lost it. They set up a new one at their next login."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        removed = two_factor.reset(user)
        logger.warning("2fa: second factor of %s reset (%d devices)", username, removed)
        self.stdout.write(
            f"{username}: {removed} second-factor device(s) removed; "
            "they set up a new one at their next login."
        )
