"""Email each student whose scheduled interview starts within the next 24 hours,
once. The worker runs this every 5 minutes (interviews/tasks.py); the command is
for operators. Safe when runs overlap: each reminder is claimed first."""

from django.core.management.base import BaseCommand

from interviews.housekeeping import send_due_reminders


class Command(BaseCommand):
    help = "Email students whose interview starts within 24 hours (once each)."

    def handle(self, *args, **options):
        sent = send_due_reminders()
        self.stdout.write(f"Sent {sent} reminder{'s' if sent != 1 else ''}.")
