"""The outbound messages: pacs.008.001.08 against the official schema, the MT103 writer."""

from datetime import date
from decimal import Decimal

import pytest
from django.conf import settings

from fx.models import Remittance
from fx.mt103 import MT103, MT103FieldError, check_amount, mt_amount, wrap
from fx.pacs008 import SchemaInvalid, pacs008_validate, schema
from fx.services import remittance_message_build, remittance_quote
from tests.fx.conftest import SEPA

pytestmark = pytest.mark.django_db

CRLF = "\r\n"


def _quote(sender, **overrides) -> Remittance:
    fields = {"kind": "swift", "from_number": sender.account.number, "currency": "USD",
              "amount": "1000.00", "sender_name": "KIM HAEOE", "charges": "SHA",
              "idempotency_key": "msg-test-0001", **SEPA}
    fields.update(overrides)
    return remittance_quote(customer=sender.customer, **fields)


BENEFICIARIES = {
    "iban": SEPA,
    "local": {"beneficiary_name": "John O'Neil", "beneficiary_address":
              "350 Fifth Avenue, Suite 1200, New York NY 10118, United States of America, "
              "attention of accounts payable",
              "country": "US", "account": "000123456789", "bic": "CHASUS33",
              "purpose": "Tuition (spring term)"},
    "accented": {**SEPA, "beneficiary_name": "Jürgen Großmann-Élan",
                 "beneficiary_address": "Königsallee 12, 40212 Düsseldorf"},
}


@pytest.mark.parametrize("charges", ["OUR", "SHA", "BEN"])
@pytest.mark.parametrize("beneficiary", sorted(BENEFICIARIES))
def test_every_generated_pacs008_passes_the_official_schema(sender, notice, at_remit_time,
                                                            charges, beneficiary):
    remittance = _quote(sender, charges=charges, currency="EUR", amount="2,500.50",
                        idempotency_key=f"msg-{charges}-{beneficiary}",
                        **BENEFICIARIES[beneficiary])
    xml = remittance_message_build(remittance=remittance)
    pacs008_validate(xml)  # raises on any schema error
    tx = schema().to_dict(xml)["FIToFICstmrCdtTrf"]["CdtTrfTxInf"][0]
    assert tx["IntrBkSttlmAmt"] == {"$": Decimal("2500.50"), "@Ccy": "EUR"}
    assert tx["ChrgBr"] == {"OUR": "DEBT", "SHA": "SHAR", "BEN": "CRED"}[charges]
    assert tx["DbtrAgt"]["FinInstnId"]["BICFI"] == settings.FX_BANK_BIC
    assert tx["CdtrAgt"]["FinInstnId"]["BICFI"] == remittance.bic
    assert tx["PmtId"]["UETR"] == str(remittance.public_id)
    if charges == "OUR":
        assert tx["ChrgsInf"] == [{"Amt": {"$": Decimal("18.00"), "@Ccy": "USD"},
                                   "Agt": {"FinInstnId": {"BICFI": settings.FX_BANK_BIC}}}]
    else:
        assert "ChrgsInf" not in tx
    account = tx["CdtrAcct"]["Id"]
    if beneficiary == "local":
        assert account == {"Othr": {"Id": "000123456789"}}
        lines = tx["Cdtr"]["PstlAdr"]["AdrLine"]
        assert len(lines) == 2 and all(len(line) <= 70 for line in lines)
        assert " ".join(lines) == BENEFICIARIES["local"]["beneficiary_address"]
    else:
        assert account == {"IBAN": "DE89370400440532013000"}
    if beneficiary == "accented":
        assert tx["Cdtr"]["Nm"] == "Jurgen Grossmann-Elan"
        assert tx["Cdtr"]["PstlAdr"]["AdrLine"] == ["Konigsallee 12, 40212 Dusseldorf"]


def test_a_broken_pacs008_fails_the_schema(sender, notice, at_remit_time):
    xml = remittance_message_build(remittance=_quote(sender))
    pacs008_validate(xml)
    broken_bic = xml.replace("<BICFI>COBADEFFXXX</BICFI>", "<BICFI>COBA-DE</BICFI>")
    with pytest.raises(SchemaInvalid) as bic_error:
        pacs008_validate(broken_bic)
    assert bic_error.value.code == "message_schema_invalid"
    assert "doesn't match any pattern" in bic_error.value.extra["reason"]
    assert "CdtrAgt/FinInstnId/BICFI" in bic_error.value.extra["path"]
    with pytest.raises(SchemaInvalid):
        pacs008_validate(xml.replace("<ChrgBr>SHAR</ChrgBr>", "<ChrgBr>SHA</ChrgBr>"))
    without_debtor = xml.replace("<Dbtr><Nm>KIM HAEOE</Nm>", "<Dbtr>")
    assert without_debtor != xml
    pacs008_validate(without_debtor)  # Nm is optional in the schema
    with pytest.raises(SchemaInvalid):
        pacs008_validate(xml.replace("<NbOfTxs>1</NbOfTxs>", "<NbOfTxs>one</NbOfTxs>"))


SAMPLE = MT103(
    sender_bic="KOPOKRSEXXX", receiver_bic="JPPSJPJJ", reference="EG0123456789ABCD",
    value_date=date(2026, 3, 2), currency="JPY", amount_minor=150_000, minor_units=0,
    ordering_account="01234501000017", ordering_name="KIM HAEOE",
    ordering_address="REPUBLIC OF KOREA", beneficiary_account="12345-67890123",
    beneficiary_name="Yamada Taro", beneficiary_address="1-2-3 Chiyoda, Tokyo 100-0001",
    remittance_info="Tuition", charges="SHA")


def test_mt103_sample_matches_the_expected_text():
    expected = CRLF.join([
        "{1:F01KOPOKRSEAXXX0000000000}{2:I103JPPSJPJJXXXXN}{4:",
        ":20:EG0123456789ABCD",
        ":23B:CRED",
        ":32A:260302JPY150000,",
        ":33B:JPY150000,",
        ":50K:/01234501000017",
        "KIM HAEOE",
        "REPUBLIC OF KOREA",
        ":52A:KOPOKRSEXXX",
        ":57A:JPPSJPJJ",
        ":59:/12345-67890123",
        "Yamada Taro",
        "1-2-3 Chiyoda, Tokyo 100-0001",
        ":70:Tuition",
        ":71A:SHA",
        "-}",
    ])
    assert SAMPLE.render() == expected


def test_mt103_cash_payout_has_no_account_and_a_payout_instruction():
    from dataclasses import replace

    text = replace(SAMPLE, beneficiary_account="", cash_payout=True, currency="USD",
                   amount_minor=123_405, minor_units=2).render()
    assert ":32A:260302USD1234,05\r\n:33B:USD1234,05\r\n" in text
    assert ":59:Yamada Taro\r\n1-2-3 Chiyoda, Tokyo 100-0001\r\n" in text
    assert text.endswith(":71A:SHA\r\n:72:/PAYOUT/CASH TO ADDRESS\r\n-}")


@pytest.mark.parametrize(("minor", "units", "text"), [
    (123456, 2, "1234,56"), (123450, 2, "1234,5"), (100, 2, "1,"), (1000, 0, "1000,"),
    (5, 2, "0,05"), (1234567, 3, "1234,567"),
])
def test_mt103_amount_format(minor, units, text):
    assert mt_amount(minor, units) == text
    check_amount(text, units)


@pytest.mark.parametrize(("text", "units"), [
    ("1234.56", 2), ("1234", 2), (",5", 2), ("12,345", 2), ("1000,5", 0),
    ("1234567890123,45", 2),
])
def test_mt103_amount_format_refused(text, units):
    with pytest.raises(MT103FieldError) as error:
        check_amount(text, units)
    assert error.value.code == "mt103_invalid_field"
    assert error.value.extra["field"] == "32A"


def _broken(**changes) -> MT103FieldError:
    from dataclasses import replace

    with pytest.raises(MT103FieldError) as error:
        replace(SAMPLE, **changes).render()
    return error.value


@pytest.mark.parametrize(("changes", "field"), [
    ({"sender_bic": "KOPOKRS"}, "1"),
    ({"receiver_bic": "JPPS1PJJ"}, "2"),
    ({"reference": "EG0123456789ABCDE"}, "20"),
    ({"reference": "/EG01"}, "20"),
    ({"reference": "EG//01"}, "20"),
    ({"currency": "jpy"}, "32A"),
    ({"amount_minor": 0}, "32A"),
    ({"amount_minor": 10 ** 15}, "32A"),
    ({"charges": "SHR"}, "71A"),
    ({"beneficiary_name": "Yamada Tarō"}, "59"),
    ({"beneficiary_name": "山田太郎"}, "59"),
    ({"beneficiary_address": "x " * 60}, "59"),
    ({"beneficiary_account": "1" * 35}, "59"),
    ({"beneficiary_name": "-Yamada"}, "59"),
    ({"ordering_name": "KIM; HAEOE"}, "50K"),
    ({"remittance_info": "word " * 30}, "70"),
])
def test_mt103_field_validation(changes, field):
    error = _broken(**changes)
    assert error.extra["field"] == field


def test_mt103_wrap_keeps_lines_within_35_characters():
    lines = wrap("Kanagawa-ken Yokohama-shi Nishi-ku Minatomirai 2-2-1 Landmark Tower")
    assert lines == ["Kanagawa-ken Yokohama-shi Nishi-ku", "Minatomirai 2-2-1 Landmark Tower"]
    assert wrap("A" * 40) == ["A" * 35, "A" * 5]
