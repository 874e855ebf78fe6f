from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from interviews.demo import DEMO_APPROVER, DEMO_STUDENT
from interviews.models import Answer, InterviewRequest
from payments.models import Payment
from portal.db import atomic


class Command(BaseCommand):
    help = (
        "Delete the demo users' payments, interview requests, recordings and "
        "files, and reset their passwords. Everyone else's data is untouched."
    )

    def add_arguments(self, parser):
        parser.add_argument("--allow-demo-passwords", action="store_true")

    def handle(self, *args, **options):
        if not settings.DEBUG and not options["allow_demo_passwords"]:
            raise CommandError(
                "DEBUG is off: refusing to reset accounts to well-known "
                "passwords. Pass --allow-demo-passwords if this is really a demo."
            )
        User = get_user_model()
        passwords = {
            DEMO_APPROVER[0]: DEMO_APPROVER[1],
            DEMO_STUDENT[0]: DEMO_STUDENT[1],
        }
        users = list(User.objects.filter(username__in=passwords))
        with atomic():
            # Files are removed by post_delete handlers once this commits.
            answers, _ = Answer.objects.filter(request__student__in=users).delete()
            requests, _ = InterviewRequest.objects.filter(student__in=users).delete()
            payments, _ = Payment.objects.filter(student__in=users).delete()
            for user in users:
                user.set_password(passwords[user.username])
                user.save(update_fields=["password"])
        self.stdout.write(
            f"deleted {payments} payment rows, {requests} interview request rows and "
            f"{answers} recording rows (with their files) of "
            f"{', '.join(u.username for u in users) or 'no demo users'}; "
            "passwords reset"
        )
