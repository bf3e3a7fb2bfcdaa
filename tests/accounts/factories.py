import factory

from accounts.models import Account
from accounts.numbers import account_number_make
from tests.factories import CustomerFactory

ACCOUNT_PASSWORD = "1234"


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Account

    owner = factory.SubFactory(CustomerFactory)
    number = factory.Sequence(lambda n: account_number_make(office="012345", subject="01",
                                                            serial=n % 100_000))

    @factory.post_generation
    def password(self, create, extracted, **kwargs):
        self.set_password(extracted or ACCOUNT_PASSWORD)
        if create:
            self.save(update_fields=["password_hash"])
