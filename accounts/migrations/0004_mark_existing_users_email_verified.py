"""Every account older than the verification rule is marked verified.

They signed up when any address was accepted, have been emailed decisions and
links at that address since, and must not be locked out of paying by a rule that
did not exist when they joined. Only accounts created from now on verify.
"""

from django.db import migrations
from django.utils import timezone


def mark_verified(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    User.objects.filter(email_verified_at__isnull=True).update(
        email_verified_at=timezone.now()
    )


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_approve_permission")]

    operations = [migrations.RunPython(mark_verified, migrations.RunPython.noop)]
