from django.apps import AppConfig
from django.db.models.signals import post_delete, post_migrate, post_save, pre_save


class AccountsConfig(AppConfig):
    name = "accounts"

    def ready(self):
        from accounts.roles import ensure_approvers_group

        # After every app has migrated, so that all permissions exist.
        post_migrate.connect(
            lambda **kwargs: ensure_approvers_group(),
            dispatch_uid="accounts.ensure_approvers_group",
            weak=False,
        )

        # Second factors are reset with `manage.py reset_2fa`, not edited in the
        # console (the admin registered them in its ready(), which ran first).
        from django.contrib import admin
        from django_otp.plugins.otp_static.models import StaticDevice
        from django_otp.plugins.otp_totp.models import TOTPDevice

        for model in (TOTPDevice, StaticDevice):
            if admin.site.is_registered(model):
                admin.site.unregister(model)

        from accounts.backends import users

        # A saved or deleted user must not be served stale from the cache.
        def refresh(sender, instance, **kwargs):
            users.refresh(instance.pk)

        for signal in (post_save, post_delete):
            signal.connect(
                refresh,
                sender=self.get_model("User"),
                dispatch_uid=f"accounts.refresh_cached_user.{signal is post_save}",
                weak=False,
            )

        # loaddata saves raw, past User.save(): a dump from before email_key
        # (issue 12) must not load as addresses the unique constraint skips.
        from accounts.models import email_key_for

        def key_loaded_email(sender, instance, raw, **kwargs):
            if raw:
                instance.email_key = email_key_for(instance.email)

        pre_save.connect(
            key_loaded_email,
            sender=self.get_model("User"),
            dispatch_uid="accounts.key_loaded_email",
            weak=False,
        )
