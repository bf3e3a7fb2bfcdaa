import factory
from django.db import transaction

from accounts.models import Account, JournalEntry
from accounts.numbers import account_number_make
from accounts.services import Line, entry_post
from tests.factories import CustomerFactory

ACCOUNT_PASSWORD = "1234"


def account_fund(account: Account, amount: int, *, memo: str = "") -> JournalEntry:
    """Puts `amount` won on the account as one balanced entry from vault cash."""
    with transaction.atomic():
        entry = entry_post(kind="cash_deposit", memo=memo, lines=[
            Line(amount=amount, account=account, counterparty="창구입금", memo=memo),
            Line(amount=-amount, ledger="vault_cash")])
    account.refresh_from_db()
    return entry


class AccountFactory(factory.django.DjangoModelFactory):
    """A deposit account (password "1234"); `AccountFactory(balance=50_000)` funds it with
    a balanced entry from vault cash."""

    class Meta:
        model = Account
        skip_postgeneration_save = True

    owner = factory.SubFactory(CustomerFactory)
    number = factory.Sequence(lambda n: account_number_make(office="012345", subject="01",
                                                            serial=n % 100_000))

    @factory.post_generation
    def password(self, create, extracted, **kwargs):
        self.set_password(extracted or ACCOUNT_PASSWORD)
        if create:
            self.save(update_fields=["password_hash"])

    @factory.post_generation
    def balance(self, create, extracted, **kwargs):
        if create and extracted:
            account_fund(self, extracted)
