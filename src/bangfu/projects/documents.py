"""Documents attached to projects (approvals, contracts, acceptance reports…): checked by their
bytes, kept outside the web root under a random name (mode 0600), served only to readers of
the project (the views log each download)."""

from __future__ import annotations

import hashlib
import io
import secrets
import zipfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from bangfu.core.errors import BangfuError, ErrorCode, invalid
from bangfu.projects import services
from bangfu.projects.models import Project, ProjectDocument

MAX_DOCUMENT_BYTES = 20 * 1024 * 1024
# what a document's first bytes say → (content type, extension)
DOCUMENT_TYPES = {
    "pdf": ("application/pdf", "pdf"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"),
    "jpeg": ("image/jpeg", "jpg"),
    "png": ("image/png", "png"),
}


def _refuse_document(name: str, why: str) -> BangfuError:
    return BangfuError(
        ErrorCode.DOCUMENT_REJECTED,
        _("File “{name}” was not accepted: {why}").format(name=name, why=why),
        field="file",
    )


def _document_kind(data: bytes) -> str | None:
    """What the file is by its first bytes (and, for a ZIP, the parts it holds)."""
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = set(archive.namelist())
        except (zipfile.BadZipFile, OSError, ValueError):
            return None
        if "[Content_Types].xml" not in names:
            return None
        if "xl/workbook.xml" in names:
            return "xlsx"
        if "word/document.xml" in names:
            return "docx"
    return None


def documents_dir() -> Path:
    return Path(settings.BANGFU_MEDIA_DIR) / "projects"


def document_path(document: ProjectDocument) -> Path:
    return documents_dir() / document.stored_name


def document_keep(*, actor: Any, project: Project, title: str, upload: Any) -> ProjectDocument:
    """Check an uploaded file (PDF, XLSX, DOCX, JPEG or PNG by its bytes, at most 20 MB),
    write it outside the web root under a random name (mode 0600), then its row."""
    services.require_project(actor, project)
    title = (title or "").strip()
    if not title:
        raise invalid(_("This is required."), "title")
    if len(title) > 200:
        raise invalid(_("At most {n} characters.").format(n=200), "title")
    if upload is None:
        raise invalid(_("Choose a file."), "file")
    name = str(getattr(upload, "name", "") or _("(no name)"))[:200]
    limit = _("it is larger than {mb} MB.").format(mb=MAX_DOCUMENT_BYTES // 2**20)
    if (getattr(upload, "size", None) or 0) > MAX_DOCUMENT_BYTES:
        raise _refuse_document(name, limit)
    data = upload.read(MAX_DOCUMENT_BYTES + 1)
    if not data:
        raise _refuse_document(name, _("the file is empty."))
    if len(data) > MAX_DOCUMENT_BYTES:
        raise _refuse_document(name, limit)
    kind = _document_kind(data)
    if kind is None:
        raise _refuse_document(name, _("only PDF, XLSX, DOCX, JPEG and PNG files are kept."))
    content_type, extension = DOCUMENT_TYPES[kind]
    stored_name = f"{secrets.token_hex(16)}.{extension}"
    target = documents_dir() / stored_name
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        with transaction.atomic():
            with open(target, "xb") as out:
                out.write(data)
            target.chmod(0o600)
            document = ProjectDocument.objects.create(
                project=project,
                title=title,
                file_name=name,
                content_type=content_type,
                size=len(data),
                sha256=hashlib.sha256(data).hexdigest(),
                stored_name=stored_name,
                uploaded_by=actor,
            )
            services.record_action(actor, project, _("document added: {title}").format(title=title))
    except BaseException:
        target.unlink(missing_ok=True)  # no row, no file: nothing is kept half-written
        raise
    return document
