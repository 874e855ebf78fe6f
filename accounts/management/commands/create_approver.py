import getpass
import os

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.roles import make_approver


class Command(BaseCommand):
    help = (
        "Create a staff user in the Approvers group. The password is asked for, or "
        "read from the environment variable APPROVER_PASSWORD for automation."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--email", required=True)
        parser.add_argument("--full-name", default="")

    def handle(self, *args, username, email, full_name, **options):
        User = get_user_model()
        if User.objects.filter(username=username).exists():
            raise CommandError(f"A user named {username!r} already exists.")
        password = os.environ.get("APPROVER_PASSWORD")
        if not password:
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                raise CommandError("The passwords did not match.")
        user = User(username=username, email=email, full_name=full_name)
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        user.set_password(password)
        user.save()
        make_approver(user)
        self.stdout.write(f"approver {username} created (staff, in Approvers)")
