"""The SWIFT "X" character set that MT and (basic Latin) MX messages can carry.

Accented Latin letters are transliterated (é → e, ß → ss); anything else the network
cannot carry (Hangul, Han, symbols) is refused with the offending characters named.
"""

import re
import unicodedata

from django.utils.translation import gettext_lazy as _

from postbank.errors import InvalidInput

SWIFT_X = re.compile(r"^[A-Za-z0-9/\-?:().,'+ \r\n]*$")
_NOT_X = re.compile(r"[^A-Za-z0-9/\-?:().,'+ \r\n]")
_SPECIAL = {"ß": "ss", "Æ": "AE", "æ": "ae", "Ø": "O", "ø": "o", "Œ": "OE", "œ": "oe",
            "Đ": "D", "đ": "d", "Ł": "L", "ł": "l", "Þ": "TH", "þ": "th", "&": "+",
            "\u2013": "-", "\u2014": "-", "\u2019": "'", "\u2018": "'", "\t": " "}


class UnsupportedCharacters(InvalidInput):
    code = "unsupported_characters"
    title = _("The text has characters the remittance message cannot carry. "
              "Use Latin letters, digits and / - ? : ( ) . , ' +.")


def transliterate(value: str) -> str:
    """Latin text with accents → SWIFT X; unchanged when already X."""
    text = "".join(_SPECIAL.get(ch, ch) for ch in value)
    text = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in text if not unicodedata.combining(ch))


def swift_text(value: str, *, field: str, max_length: int) -> str:
    """Collapses whitespace, transliterates and checks the SWIFT X set and the length."""
    text = " ".join(transliterate(value or "").split())
    if not text:
        raise InvalidInput(_("This field is required."), code="required", field=field)
    if _NOT_X.search(text):
        # Named as the customer typed them (NFKD would split Hangul into jamo).
        bad = sorted({ch for ch in unicodedata.normalize("NFC", value)
                      if _NOT_X.search(transliterate(ch))})
        raise UnsupportedCharacters(
            _("The text has characters the remittance message cannot carry: %(characters)s. "
              "Use Latin letters, digits and / - ? : ( ) . , ' +.")
            % {"characters": " ".join(bad)}, field=field, characters="".join(bad))
    if len(text) > max_length:
        raise InvalidInput(_("The text is too long for the remittance message."),
                           code="text_too_long", field=field, max_length=max_length)
    return text
