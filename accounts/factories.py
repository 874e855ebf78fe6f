import factory
from django.utils import timezone

from accounts.models import User

TEST_PASSWORD = "correct-horse-battery-42"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.Faker("name", locale="en_IN")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    phone = "9876543210"
    # Verified by default, as every account older than the rule is;
    # UserFactory(unverified=True) for a new student who has not clicked yet.
    email_verified_at = factory.LazyFunction(timezone.now)
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    class Params:
        unverified = factory.Trait(email_verified_at=None)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()
