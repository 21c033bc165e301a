"""Visit photos: checked before they are kept, kept outside the web root.

A photo is accepted when its first bytes say JPEG, PNG or WebP, Pillow decodes it as that
same format, it is at most ``MAX_BYTES`` and ``MAX_PIXELS`` (a small file can still decode to
a huge image), and its name's extension is not what decides anything. It is stored under
``settings.BANGFU_MEDIA_DIR / "visits" / YYYY / <random>.<ext>`` (mode 0600, folders 0700):
never under the static files, so only ``views.visit_photo`` serves it, after checking that the
reader may see the household, and each view is written to the access log.

A photo written by a visit whose transaction is then rolled back stays on disk without a row
(it is named at random, so nothing reads it); the files are written after every check passed,
so that only happens when the database itself fails.
"""

from __future__ import annotations

import hashlib
import io
import secrets
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from bangfu.assistance.models import Visit, VisitPhoto
from bangfu.core.errors import BangfuError, ErrorCode

MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 50_000_000
# first bytes → (Pillow's format name, content type, extension)
FORMATS = {
    "jpeg": ("JPEG", "image/jpeg", "jpg"),
    "png": ("PNG", "image/png", "png"),
    "webp": ("WEBP", "image/webp", "webp"),
}


@dataclass(frozen=True)
class CheckedPhoto:
    data: bytes
    original_name: str
    content_type: str
    extension: str
    width: int
    height: int
    sha256: str


def _refuse(name: str, why: str) -> BangfuError:
    return BangfuError(
        ErrorCode.PHOTO_REJECTED,
        _("Photo “{name}” was not accepted: {why}").format(name=name, why=why),
        field="photos",
    )


def _magic(head: bytes) -> str | None:
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    return None


def check(upload: Any) -> CheckedPhoto:
    """Read and check one uploaded file (a Django ``UploadedFile`` or anything with ``name``
    and ``read``); refuses with ``photo_rejected`` naming the file and why."""
    name = str(getattr(upload, "name", "") or _("(no name)"))[:200]
    size = getattr(upload, "size", None)
    if size is not None and size > MAX_BYTES:
        raise _refuse(name, _("it is larger than {mb} MB.").format(mb=MAX_BYTES // 2**20))
    data = upload.read(MAX_BYTES + 1)
    if not data:
        raise _refuse(name, _("the file is empty."))
    if len(data) > MAX_BYTES:
        raise _refuse(name, _("it is larger than {mb} MB.").format(mb=MAX_BYTES // 2**20))
    kind = _magic(data[:16])
    if kind is None:
        raise _refuse(name, _("only JPEG, PNG and WebP images are kept."))
    pillow_format, content_type, extension = FORMATS[kind]
    width, height = _decode(data, pillow_format, name)
    return CheckedPhoto(
        data=data,
        original_name=name,
        content_type=content_type,
        extension=extension,
        width=width,
        height=height,
        sha256=hashlib.sha256(data).hexdigest(),
    )


def _decode(data: bytes, pillow_format: str, name: str) -> tuple[int, int]:
    """Decode the whole image (a truncated or forged file fails here), as the format its
    first bytes claim."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[pillow_format]) as image:
                width, height = image.size
                if width * height > MAX_PIXELS:
                    raise _refuse(name, _("the image has too many pixels."))
                image.load()
    except BangfuError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise _refuse(name, _("it is damaged or not really an image.")) from exc
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
        raise _refuse(name, _("the image has too many pixels.")) from exc
    return width, height


def media_root() -> Path:
    return Path(settings.BANGFU_MEDIA_DIR)


def path_of(photo: VisitPhoto) -> Path:
    return media_root() / "visits" / photo.stored_name


def keep(visit: Visit, photo: CheckedPhoto) -> VisitPhoto:
    """Write the file, then its row (the caller holds the transaction)."""
    stored_name = f"{visit.visited_on.year}/{secrets.token_hex(16)}.{photo.extension}"
    row = VisitPhoto(
        visit=visit,
        stored_name=stored_name,
        original_name=photo.original_name,
        content_type=photo.content_type,
        size=len(photo.data),
        sha256=photo.sha256,
        width=photo.width,
        height=photo.height,
    )
    target = path_of(row)
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with open(target, "xb") as out:
        out.write(photo.data)
    target.chmod(0o600)
    row.save()
    return row
