"""The file as a whole: size, what it really is (magic bytes), encoding and SHA-256."""

from __future__ import annotations

import codecs
import hashlib
import zipfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

from bangfu.core.errors import ErrorCode
from bangfu.registry.importers.results import DEFAULT_MAX_BYTES, refuse


def max_bytes() -> int:
    """The largest file accepted: setting ``BANGFU_IMPORT_MAX_BYTES`` (default 200 MB)."""
    return int(getattr(settings, "BANGFU_IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES))


# --- the file -----------------------------------------------------------------------------

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"


@dataclass(frozen=True)
class FileInfo:
    path: Path
    name: str
    kind: str  # "xlsx" | "csv"
    size: int
    sha256: str
    encoding: str = ""


def inspect_file(path: Path, name: str) -> FileInfo:
    """Size, emptiness, real type and encoding of the file, and its SHA-256."""
    try:
        size = path.stat().st_size
    except OSError as error:
        raise refuse(
            ErrorCode.IMPORT_FILE_TYPE,
            _("The file {name} cannot be read: {reason}.").format(name=name, reason=error.strerror),
        ) from None
    limit = max_bytes()
    if size > limit:
        raise refuse(
            ErrorCode.IMPORT_FILE_TOO_LARGE,
            _(
                "The file is {size} but at most {limit} can be imported at once. Split it "
                "(by township or village) and import the parts one after another."
            ).format(size=_bytes(size), limit=_bytes(limit)),
        )
    if size == 0:
        raise refuse(ErrorCode.IMPORT_FILE_EMPTY, _("The file is empty (0 bytes)."))
    with path.open("rb") as handle:
        head = handle.read(8)
    suffix = Path(name).suffix.lower()
    magic = _magic_kind(head, path)
    if suffix in {".xlsx", ".xlsm"}:
        if magic != "xlsx":
            raise refuse(ErrorCode.IMPORT_FILE_TYPE, _not_xlsx(name, magic))
        kind = "xlsx"
    elif suffix in {".csv", ".txt"}:
        if magic in {"xlsx", "xls", "zip"}:
            raise refuse(
                ErrorCode.IMPORT_FILE_TYPE,
                _("{name} is named like a text (CSV) file but is {what}.").format(
                    name=name, what=_what(magic)
                )
                + " "
                + _advice(magic),
            )
        kind = "csv"
    elif suffix == ".xls":
        raise refuse(ErrorCode.IMPORT_FILE_TYPE, _not_xlsx(name, magic))
    elif suffix:
        raise refuse(
            ErrorCode.IMPORT_FILE_TYPE,
            _("{name}: files of type {suffix} cannot be imported; use .xlsx or .csv.").format(
                name=name, suffix=suffix
            ),
        )
    else:  # no extension: trust the content
        if magic in {"xls", "zip"}:
            raise refuse(ErrorCode.IMPORT_FILE_TYPE, _not_xlsx(name, magic))
        kind = "xlsx" if magic == "xlsx" else "csv"
    digest, encoding = _digest_and_encoding(path, kind)
    return FileInfo(path, name, kind, size, digest, encoding)


def _bytes(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / 1024 / 1024:.1f} MB"
    if size >= 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size} B"


def _magic_kind(head: bytes, path: Path) -> str:
    if head.startswith(OLE2_MAGIC):
        return "xls"
    if head.startswith(ZIP_MAGIC):
        try:
            with zipfile.ZipFile(path) as archive:
                names = set(archive.namelist())
        except (zipfile.BadZipFile, OSError):
            return "zip"
        if "[Content_Types].xml" in names and "xl/workbook.xml" in names:
            return "xlsx"
        if "xl/workbook.bin" in names:
            return "xlsb"
        return "zip"
    return "text"


def _what(magic: str) -> str:
    return {
        "xls": _("an old Excel 97-2003 (.xls) workbook or a password-protected workbook"),
        "xlsx": _("an Excel (.xlsx) workbook"),
        "xlsb": _("an Excel binary (.xlsb) workbook"),
        "zip": _("a ZIP archive, not an Excel workbook"),
        "text": _("a text file (perhaps CSV)"),
    }[magic]


def _advice(magic: str) -> str:
    return {
        "xls": _(
            "Open it in Excel or WPS, remove any password, and save it as "
            "“Excel 工作簿 (*.xlsx)”; then import the .xlsx."
        ),
        "xlsx": _("Rename it to .xlsx, or save it as CSV UTF-8 from Excel."),
        "xlsb": _("Open it in Excel and save it as “Excel 工作簿 (*.xlsx)”."),
        "zip": _("Unpack it, or export the data as .xlsx or .csv."),
        "text": _("If it is CSV, rename it to .csv."),
    }[magic]


def _not_xlsx(name: str, magic: str) -> str:
    return (
        _("{name} is not an .xlsx workbook: it is {what}.").format(name=name, what=_what(magic))
        + " "
        + _advice(magic)
    )


def _digest_and_encoding(path: Path, kind: str) -> tuple[str, str]:
    """The SHA-256 and, for text, the encoding: UTF-8 (with or without BOM), else GB18030."""
    digest = hashlib.sha256()
    if kind == "xlsx":
        with path.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
        return digest.hexdigest(), ""
    with path.open("rb") as handle:
        head = handle.read(4)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise refuse(
            ErrorCode.IMPORT_ENCODING,
            _(
                "The file is in UTF-16 (“Unicode text”). Save it from Excel as "
                "“CSV UTF-8 (逗号分隔)(*.csv)”, or import the .xlsx itself."
            ),
        )
    utf8 = codecs.getincrementaldecoder("utf-8")("strict")
    bad_at: int | None = None
    offset = 0
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
            if b"\x00" in chunk:
                raise refuse(
                    ErrorCode.IMPORT_FILE_TYPE,
                    _(
                        "The file contains NUL bytes: it is not a text (CSV) file. Import the "
                        "workbook as .xlsx, or save it from Excel as CSV UTF-8."
                    ),
                )
            if bad_at is None:
                try:
                    utf8.decode(chunk)
                except UnicodeDecodeError as error:
                    bad_at = offset + error.start
            offset += len(chunk)
    if bad_at is None:
        try:
            utf8.decode(b"", final=True)
        except UnicodeDecodeError:
            bad_at = offset
    if bad_at is None:
        return digest.hexdigest(), "utf-8-sig" if head.startswith(codecs.BOM_UTF8) else "utf-8"
    gb = codecs.getincrementaldecoder("gb18030")("strict")
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                gb.decode(chunk)
        gb.decode(b"", final=True)
    except UnicodeDecodeError:
        raise refuse(
            ErrorCode.IMPORT_ENCODING,
            _(
                "The file is neither UTF-8 (its byte {offset} is not valid UTF-8) nor GB18030/GBK. "
                "Open it in Excel or WPS and save it as “CSV UTF-8 (逗号分隔)(*.csv)”, or import "
                "the .xlsx workbook instead."
            ).format(offset=bad_at),
        ) from None
    return digest.hexdigest(), "gb18030"
