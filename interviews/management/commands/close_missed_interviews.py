from django.core.management.base import BaseCommand

from interviews.housekeeping import close_missed_interviews


class Command(BaseCommand):
    help = (
        "Mark scheduled interviews whose room has closed with questions "
        "unanswered as missed (no-shows). The worker runs this every 5 minutes."
    )

    def handle(self, *args, **options):
        missed, completed = close_missed_interviews()
        self.stdout.write(
            f"Marked {missed} interview{'s' if missed != 1 else ''} as missed; "
            f"completed {completed} that were fully answered."
        )
