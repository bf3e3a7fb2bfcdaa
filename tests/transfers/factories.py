import factory

from transfers.models import ClearingHouseAccount


class ClearingHouseAccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ClearingHouseAccount

    bank_code = "004"
    number = factory.Sequence(lambda n: f"{1000000000 + n:012d}")
    holder_name = factory.Sequence(lambda n: f"타행고객{n}")
    outcome = ClearingHouseAccount.Outcome.ACCEPT
