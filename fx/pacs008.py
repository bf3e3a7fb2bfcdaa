"""ISO 20022 pacs.008.001.08 (FI to FI customer credit transfer) for SWIFT remittances.

The document is built with the standard library and validated against the official schema
(fx/data/pacs.008.001.08.xsd, source in fx/data/README.md) before it may be sent.
"""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from xml.etree import ElementTree as ET

import xmlschema
from django.utils.translation import gettext_lazy as _

from postbank.errors import InvalidInput

NAMESPACE = "urn:iso:std:iso:20022:tech:xsd:pacs.008.001.08"
XSD_PATH = Path(__file__).parent / "data" / "pacs.008.001.08.xsd"
CHARGE_BEARER = {"OUR": "DEBT", "SHA": "SHAR", "BEN": "CRED"}


class SchemaInvalid(InvalidInput):
    code = "message_schema_invalid"
    title = _("The outbound message does not pass the ISO 20022 schema.")


@cache
def schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(XSD_PATH))


@dataclass(frozen=True)
class Pacs008:
    message_id: str
    created_at: datetime
    settlement_date: date
    end_to_end_id: str
    uetr: str
    currency: str
    amount: Decimal
    charges: str  # OUR / SHA / BEN
    debtor_name: str
    debtor_country: str
    debtor_account: str
    debtor_agent_bic: str
    creditor_agent_bic: str
    creditor_name: str
    creditor_address: str
    creditor_country: str
    creditor_account: str
    creditor_account_is_iban: bool
    purpose: str
    intermediary_charge: Decimal | None = None  # OUR: USD charge prepaid by the debtor


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs) -> ET.Element:
    element = ET.SubElement(parent, f"{{{NAMESPACE}}}{tag}", attrs)
    if text is not None:
        element.text = text
    return element


def _agent(parent: ET.Element, tag: str, bic: str) -> None:
    _sub(_sub(_sub(parent, tag), "FinInstnId"), "BICFI", bic)


def _address_lines(text: str) -> list[str]:
    lines, current = [], ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if len(candidate) > 70 and current:
            lines.append(current)
            current = word[:70]
        else:
            current = candidate[:70]
    if current:
        lines.append(current)
    return lines[:7]


def pacs008_build(doc: Pacs008) -> str:
    """The XML text (UTF-8 declaration) of one credit transfer."""
    ET.register_namespace("", NAMESPACE)
    root = ET.Element(f"{{{NAMESPACE}}}Document")
    transfer = _sub(root, "FIToFICstmrCdtTrf")
    header = _sub(transfer, "GrpHdr")
    _sub(header, "MsgId", doc.message_id)
    _sub(header, "CreDtTm", doc.created_at.isoformat(timespec="seconds"))
    _sub(header, "NbOfTxs", "1")
    _sub(_sub(header, "SttlmInf"), "SttlmMtd", "INDA")
    tx = _sub(transfer, "CdtTrfTxInf")
    ids = _sub(tx, "PmtId")
    _sub(ids, "InstrId", doc.end_to_end_id)
    _sub(ids, "EndToEndId", doc.end_to_end_id)
    _sub(ids, "UETR", doc.uetr)
    _sub(tx, "IntrBkSttlmAmt", f"{doc.amount}", Ccy=doc.currency)
    _sub(tx, "IntrBkSttlmDt", doc.settlement_date.isoformat())
    _sub(tx, "InstdAmt", f"{doc.amount}", Ccy=doc.currency)
    _sub(tx, "ChrgBr", CHARGE_BEARER[doc.charges])
    if doc.intermediary_charge:
        charge = _sub(tx, "ChrgsInf")
        _sub(charge, "Amt", f"{doc.intermediary_charge}", Ccy="USD")
        _agent(charge, "Agt", doc.debtor_agent_bic)
    debtor = _sub(tx, "Dbtr")
    _sub(debtor, "Nm", doc.debtor_name)
    _sub(_sub(debtor, "PstlAdr"), "Ctry", doc.debtor_country)
    _sub(_sub(_sub(_sub(tx, "DbtrAcct"), "Id"), "Othr"), "Id", doc.debtor_account)
    _agent(tx, "DbtrAgt", doc.debtor_agent_bic)
    _agent(tx, "CdtrAgt", doc.creditor_agent_bic)
    creditor = _sub(tx, "Cdtr")
    _sub(creditor, "Nm", doc.creditor_name)
    address = _sub(creditor, "PstlAdr")
    _sub(address, "Ctry", doc.creditor_country)
    for line in _address_lines(doc.creditor_address):
        _sub(address, "AdrLine", line)
    account_id = _sub(_sub(tx, "CdtrAcct"), "Id")
    if doc.creditor_account_is_iban:
        _sub(account_id, "IBAN", doc.creditor_account)
    else:
        _sub(_sub(account_id, "Othr"), "Id", doc.creditor_account)
    _sub(_sub(tx, "Purp"), "Prtry", doc.purpose[:35])
    _sub(_sub(tx, "RmtInf"), "Ustrd", doc.purpose[:140])
    body = ET.tostring(root, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"


def pacs008_validate(xml_text: str) -> None:
    """Raises SchemaInvalid with the schema's first reason when the document is not valid."""
    errors = list(schema().iter_errors(xml_text))
    if errors:
        first = errors[0]
        raise SchemaInvalid(reason=str(first.reason or first.message)[:300],
                            path=str(first.path or ""))
