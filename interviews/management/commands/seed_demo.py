"""The demo courses, the approver admin1 and the student student1.

Scale data for the benchmarks (thousands of students) is a tool of its own:
bench/scale.py.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accounts.roles import make_approver
from interviews.demo import DEMO_APPROVER, DEMO_COURSES, DEMO_STUDENT
from interviews.models import InterviewCourse, InterviewQuestion
from portal.db import atomic


class Command(BaseCommand):
    help = (
        "Create the demo courses, the approver admin1 and the student student1. "
        "Idempotent: running it twice changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--allow-demo-passwords",
            action="store_true",
            help="Allow the well-known demo passwords even with DEBUG off.",
        )

    def handle(self, *args, **options):
        if not settings.DEBUG and not options["allow_demo_passwords"]:
            raise CommandError(
                "DEBUG is off: refusing to create accounts with well-known "
                "passwords. Pass --allow-demo-passwords if this is really a demo."
            )
        with atomic():
            self._seed_courses()
            self._seed_user(*DEMO_APPROVER, approver=True)
            self._seed_user(*DEMO_STUDENT, approver=False)

    def _seed_courses(self):
        for order, spec in enumerate(DEMO_COURSES, start=1):
            course, created = InterviewCourse.objects.get_or_create(
                slug=spec["slug"],
                defaults={
                    "title": spec["title"],
                    "description": spec["description"],
                    "duration_minutes": spec["duration_minutes"],
                    "fee": settings.DEFAULT_COURSE_FEE,
                    "display_order": order,
                },
            )
            added = 0
            if not course.questions.exists():
                # One by one, not bulk_create: a saved question refreshes the
                # cached catalogue by signal, the entry's one invalidation.
                for position, text in enumerate(spec["questions"], start=1):
                    InterviewQuestion.objects.create(
                        course=course,
                        text=text,
                        order=position,
                        preparation_seconds=20,
                        max_answer_seconds=90,
                    )
                added = len(spec["questions"])
            verb = "created" if created else "exists"
            self.stdout.write(f"course {course.slug}: {verb}, {added} questions added")

    def _seed_user(self, username, password, full_name, email, approver):
        User = get_user_model()
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "full_name": full_name,
                "email": email,
                # Demo addresses cannot receive mail: verified from the start.
                "email_verified_at": timezone.now(),
            },
        )
        if created:
            user.set_password(password)
            user.save()
        if approver:
            make_approver(user)
        role = "approver" if approver else "student"
        verb = "created" if created else "exists"
        self.stdout.write(f"{role} {username}: {verb}")
