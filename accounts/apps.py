from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"

    def ready(self):
        from accounts.roles import ensure_approvers_group

        # After every app has migrated, so that all permissions exist.
        post_migrate.connect(
            lambda **kwargs: ensure_approvers_group(),
            dispatch_uid="accounts.ensure_approvers_group",
            weak=False,
        )
