"""User.email_key (issue 12): the address lowercased, "" for none (a tombstone).

Fills it in for every account, then reports (never changes, never fails on)
live accounts that share an address up to case. Before issue 12 only a form
check kept addresses apart, so two sign-up links for one address followed at
the same instant could make two accounts. The next migration adds the unique
constraint; it stops, with the same list, while such accounts remain.
"""

import logging
from collections import defaultdict

from django.db import migrations, models

import accounts.models

logger = logging.getLogger("accounts.migrations")


def _key(email):
    # accounts.models.email_key_for as of this migration.
    return (email or "").strip().lower()


def backfill_email_key(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    for pk, email in User.objects.values_list("pk", "email").iterator():
        key = _key(email)
        if key:
            User.objects.filter(pk=pk).update(email_key=key)


def shared_addresses(User):
    """{key: [(pk, username, email, date_joined, last_login), ...]} for each
    address two or more live accounts share."""
    by_key = defaultdict(list)
    rows = User.objects.filter(email_key__gt="").values_list(
        "email_key", "pk", "username", "email", "date_joined", "last_login"
    )
    for key, *account in rows.order_by("email_key", "date_joined").iterator():
        by_key[key].append(account)
    return {key: users for key, users in by_key.items() if len(users) > 1}


def report_shared_addresses(apps, schema_editor):
    shared = shared_addresses(apps.get_model("accounts", "User"))
    if not shared:
        return
    logger.warning("%s email address(es) belong to several accounts", len(shared))
    print(f"\n  {len(shared)} email address(es) belong to several accounts:")
    for key, users in shared.items():
        print(f"    {key}:")
        for pk, username, email, joined, last_login in users:
            line = (
                f"{key}: user {username} (id {pk}), email {email!r}, joined "
                f"{joined:%Y-%m-%d %H:%M}, last login "
                + (f"{last_login:%Y-%m-%d %H:%M}" if last_login else "never")
            )
            logger.warning(line)
            print("      " + line.split(": ", 1)[1])


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0007_pending_signup"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        migrations.AlterModelManagers(
            name="user",
            managers=[
                ("objects", accounts.models.UserManager()),
            ],
        ),
        migrations.AddField(
            model_name="user",
            name="email_key",
            field=models.CharField(blank=True, editable=False, max_length=254),
        ),
        migrations.RunPython(backfill_email_key, migrations.RunPython.noop),
        migrations.RunPython(
            report_shared_addresses, migrations.RunPython.noop, elidable=True
        ),
    ]
