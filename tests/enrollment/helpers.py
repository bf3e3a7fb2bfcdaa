"""Test data of the counter application: RRNs of a given age and a complete application."""

from datetime import date

from stdnum.kr import rrn as stdnum_rrn

from enrollment.applications import application_submit
from enrollment.models import Application, Document
from tests.factories import UserFactory


def rrn_born(born: date, serial: str = "01234") -> str:
    """A valid RRN (check digit included) of someone born on `born` (male)."""
    front = f"{born:%y%m%d}" + ("3" if born.year >= 2000 else "1") + serial
    return front + stdnum_rrn.calc_check_digit(front)


def teller():
    return UserFactory(username="teller-kim", is_staff=True)


def submit(**overrides):
    """A complete adult application that opens a new account (password 1234)."""
    data = {
        "teller": overrides.pop("teller", None) or teller(),
        "name": "이순신",
        "rrn": "900101-1234568",
        "phone": "010-2345-6789",
        "customer_type": "individual",
        "id_document_type": Application.IdDocument.RESIDENT_CARD,
        "id_document_number": "900101AB12",
        "authentication": Application.Authentication.SEAL,
        "documents": [Document.APPLICATION_FORM, Document.PASSBOOK_SEAL],
        "designated_account_numbers": [],
        "new_account_password": "1234",
        "medium": Application.Medium.SECURITY_CARD,
    }
    data.update(overrides)
    return application_submit(**data)
