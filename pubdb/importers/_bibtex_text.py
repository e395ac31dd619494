"""Bytes to text for .bib files: encoding detection, binary and non-BibTeX input checks.

Order of attempts when no encoding is given (first that decodes strictly wins):

1. a UTF-16 byte-order mark -> UTF-16 (warning: unusual for .bib files);
2. UTF-8 with or without BOM (``utf-8-sig`` strips the mark) -> no warning;
3. the encoding the file declares in its first lines (Emacs ``-*- coding: latin-9 -*-``,
   JabRef ``% Encoding: ISO-8859-1``) -> warning naming it (JabRef often declares ISO-8859-1
   while writing UTF-8, which is why UTF-8 is tried first);
4. cp1252 (Windows "ANSI"; a superset of Latin-1's printable range) -> warning;
5. Latin-1 (decodes any byte) -> warning.

Bytes that look binary (NUL bytes, or many control characters) are rejected before decoding.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from pubdb.errors import InputError

_SAMPLE = 65536
# Control characters other than tab, newline, form feed, carriage return and escape.
_CONTROL = bytes(range(0, 9)) + b"\x0b" + bytes(range(0x0E, 0x1B)) + bytes(range(0x1C, 0x20))
_DECLARED = re.compile(
    rb"(?:-\*-.*?coding:\s*([\w.-]+).*?-\*-|^%\s*Encoding:\s*([\w.-]+))", re.IGNORECASE | re.M
)
_EMACS_EOL = re.compile(r"-(?:unix|dos|mac)$", re.IGNORECASE)
_EMACS_LATIN = {
    "1": "iso8859-1",
    "2": "iso8859-2",
    "3": "iso8859-3",
    "4": "iso8859-4",
    "5": "iso8859-9",
    "9": "iso8859-15",
    "0": "iso8859-15",
}


@dataclass(frozen=True)
class DecodedText:
    """The decoded text, the codec name used, and a warning to report (or "")."""

    text: str
    encoding: str
    warning: str = ""
    warning_line: int | None = None


def _line_of(data: bytes, index: int) -> int:
    return data.count(b"\n", 0, index) + 1


def looks_binary(data: bytes) -> bool:
    """True for NUL bytes or more than 1% control characters in the first 64 KiB."""
    sample = data[:_SAMPLE]
    if b"\x00" in sample:
        return True
    if not sample:
        return False
    controls = len(sample) - len(sample.translate(None, _CONTROL))
    return controls * 100 > len(sample)


def _declared_encoding(data: bytes) -> str | None:
    """The codec a file declares in its first two lines (Emacs or JabRef style), if known."""
    head = b"\n".join(data[:4096].splitlines()[:2])
    match = _DECLARED.search(head)
    if not match:
        return None
    name = (match.group(1) or match.group(2)).decode("ascii", "replace")
    name = _EMACS_EOL.sub("", name)
    latin = re.fullmatch(r"latin-?(\d+)", name, re.IGNORECASE)
    if latin:
        name = _EMACS_LATIN.get(latin.group(1), name)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def decode_bytes(data: bytes, path: str, encoding: str | None = None) -> DecodedText:
    """Decode a .bib file's bytes; raise InputError for binary data or a wrong ``encoding``."""
    if encoding:
        try:
            codec = codecs.lookup(encoding).name
        except LookupError:
            raise InputError(f"unknown encoding {encoding!r}", path=path) from None
        if codec == "utf-8" and data.startswith(codecs.BOM_UTF8):
            codec = "utf-8-sig"
        try:
            text = data.decode(codec)
        except UnicodeDecodeError as exc:
            raise InputError(
                f"cannot be read as {encoding} (byte 0x{data[exc.start]:02x})",
                path=path,
                line=_line_of(data, exc.start),
            ) from None
        if "\x00" in text:
            raise InputError("not a BibTeX file (binary data: NUL characters)", path=path)
        return DecodedText(text, codec)

    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return DecodedText(
                data.decode("utf-16"), "utf-16", "file is UTF-16; read as UTF-16", None
            )
        except UnicodeDecodeError:
            pass
    if looks_binary(data):
        raise InputError("not a BibTeX file (binary data)", path=path)
    try:
        if data.startswith(codecs.BOM_UTF8):
            return DecodedText(data.decode("utf-8-sig"), "utf-8-sig")
        return DecodedText(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError as exc:
        bad_line = _line_of(data, exc.start)
        bad_byte = data[exc.start]
    declared = _declared_encoding(data)
    candidates = [c for c in (declared, "cp1252", "iso8859-1") if c and c != "utf-8"]
    for codec in dict.fromkeys(candidates):
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        how = "as declared in the file" if codec == declared else "detected"
        return DecodedText(
            text,
            codec,
            f"not valid UTF-8 (byte 0x{bad_byte:02x} on line {bad_line}); "
            f"read as {codec} ({how}); use --encoding to choose another",
            bad_line,
        )
    raise AssertionError("iso8859-1 decodes any byte")  # pragma: no cover
