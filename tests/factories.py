import factory

from enrollment.models import Customer, User

DEFAULT_PASSWORD = "Correct-horse-77!"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"user{n:05d}")
    password = factory.django.Password(DEFAULT_PASSWORD)


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    user = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"고객{n}")
