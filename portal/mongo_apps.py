"""App configs for the contrib and third-party apps on MongoDB (issue 18).

Their own configs hard-code `AutoField`, which MongoDB cannot give (its keys
are ObjectIds); these follow DEFAULT_AUTO_FIELD instead. portal/settings.py
swaps them into INSTALLED_APPS only when DATABASE_URL is mongodb://, and their
migrations live in portal/mongo_migrations/ (`make mongo-migrations`).
"""

from bson import ObjectId
from bson.errors import InvalidId
from django.apps import apps
from django.contrib.admin.apps import AdminConfig
from django.contrib.auth.apps import AuthConfig
from django.contrib.contenttypes.apps import ContentTypesConfig
from django_otp.plugins.otp_static.apps import DefaultConfig as OTPStaticConfig
from django_otp.plugins.otp_totp.apps import DefaultConfig as OTPTOTPConfig

OBJECT_ID = "django_mongodb_backend.fields.ObjectIdAutoField"


class MongoAdminConfig(AdminConfig):
    default_auto_field = OBJECT_ID


class MongoAuthConfig(AuthConfig):
    default_auto_field = OBJECT_ID


class MongoContentTypesConfig(ContentTypesConfig):
    default_auto_field = OBJECT_ID


class MongoOTPStaticConfig(OTPStaticConfig):
    default_auto_field = OBJECT_ID

    def ready(self):
        super().ready()
        from django_otp.models import Device

        Device._filter_persistent_id = classmethod(_filter_persistent_id)


def _filter_persistent_id(cls, persistent_id, for_verify=False):
    """django-otp's own, with ObjectId keys: it reads a device's id with int(),
    so a verified session would never find its device again."""
    from django_otp.models import Device

    model_label, device_id = persistent_id.rsplit("/", 1)
    app_label, model_name = model_label.split(".")
    device_cls = apps.get_model(app_label, model_name)
    if not issubclass(device_cls, Device):
        return None
    try:
        device_set = device_cls.objects.filter(id=ObjectId(device_id))
    except InvalidId as exc:
        raise ValueError(device_id) from exc
    if for_verify:
        device_set = device_set.select_for_update()
    return device_set


class MongoOTPTOTPConfig(OTPTOTPConfig):
    default_auto_field = OBJECT_ID
