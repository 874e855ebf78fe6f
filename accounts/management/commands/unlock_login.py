from django.core.management.base import BaseCommand

from accounts import throttle


class Command(BaseCommand):
    help = (
        "Clear one account's failed-login counters (from every address), so its "
        "owner can log in again at once. Other accounts and the per-address "
        "limits are untouched."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        throttle.unlock(username)
        self.stdout.write(f"Login unlocked for {username!r}.")
