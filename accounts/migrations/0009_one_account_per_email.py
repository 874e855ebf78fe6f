"""One live account per email address (issue 12): a unique constraint on
email_key, tombstones (email_key "") left out."""

from collections import defaultdict

from django.db import migrations, models


def refuse_while_addresses_are_shared(apps, schema_editor):
    # A clear stop instead of an IntegrityError from the index build; the
    # migration is atomic (on SQL), so nothing is applied.
    User = apps.get_model("accounts", "User")
    usernames = defaultdict(list)
    rows = User.objects.filter(email_key__gt="").values_list("email_key", "username")
    for key, username in rows.order_by("email_key", "date_joined").iterator():
        usernames[key].append(username)
    shared = {key: names for key, names in usernames.items() if len(names) > 1}
    if shared:
        listed = "; ".join(
            f"{key}: {', '.join(names)}" for key, names in list(shared.items())[:20]
        )
        raise RuntimeError(
            f"{len(shared)} email address(es) belong to several accounts "
            f"({listed}; migration 0008 listed each one, with when it joined and "
            "last logged in). Keep one account per address: in the admin, give "
            "each of the others another address (ask its owner which), or have "
            "its owner delete it from the account page (that keeps the row, "
            "with no address); then migrate again."
        )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0008_user_email_key"),
    ]

    operations = [
        migrations.RunPython(
            refuse_while_addresses_are_shared,
            migrations.RunPython.noop,
            elidable=True,
        ),
        migrations.AddConstraint(
            model_name="user",
            constraint=models.UniqueConstraint(
                condition=models.Q(("email_key__gt", "")),
                fields=("email_key",),
                name="one_account_per_email",
                violation_error_message=(
                    "An account with this email address exists already."
                ),
            ),
        ),
    ]
