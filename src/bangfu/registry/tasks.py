"""Household imports in the background: ``import_upload`` runs
:func:`bangfu.registry.importers.import_households` on a file uploaded on the import page, as the
user who uploaded it (their capture scope applies), in a django-tasks worker (``bangfu db_worker``,
or the thread that ``bangfu serve`` starts unless told ``--no-worker``).

An upload is a few files in ``BANGFU_IMPORT_DIR/u<user id>/``, named by a random token (the
client's file name is kept for display only, never used in a path):

* ``<token>.xlsx`` or ``<token>.csv``: the file; deleted once imported (it holds personal data);
* ``<token>.json``: the manifest: options, state, live progress, the ``ImportBatch`` once the
  importer has created it, and the summary (the only record of a dry run, which writes no
  ``ImportBatch``);
* ``<token>.task``: the id of the django-tasks result (to tell "waiting" from "the task died");
* ``<token>-report.xlsx``: the importer's report (every problem, the rows not imported), if any;
* ``batch-<id>``: the token of the upload that made ``ImportBatch`` ``id``, so that the batch page
  finds its live progress and its report.

The importer creates its ``ImportBatch`` itself (once it has found the header), sets
``rows_done`` while reading and status "writing" before it writes. ``import_upload`` learns the
batch's id the moment it is created (``post_save``, in this thread only) and mirrors the
importer's progress callback (rows read, households checked, households written) into the
manifest, a few times a second at most. Every file is written whole and renamed into place, so a
reader sees either the old manifest or the new one. While the task runs, a heartbeat touches
the manifest every few seconds; a running import whose manifest stays untouched for a minute has
lost its worker (a server stopped mid-import), and its page says so instead of waiting forever.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import os
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db.models.signals import post_save
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from bangfu.core.errors import ErrorCode
from bangfu.registry.importers import (
    STORED_ERRORS,
    ImportResult,
    import_households,
    inspect_file,
    max_bytes,
    write_report,
)
from bangfu.registry.models import ImportBatch

logger = logging.getLogger(__name__)

TOKEN = re.compile(r"[0-9a-f]{32}")
PROGRESS_EVERY = 0.5  # seconds between two writes of the manifest while the numbers move
HEARTBEAT = 5.0  # seconds between two touches of a running import's manifest
CHUNK = 1024 * 1024

QUEUED, RUNNING, FINISHED, FAILED = "queued", "running", "finished", "failed"


def import_dir() -> Path:
    """Setting ``BANGFU_IMPORT_DIR`` (default ``var/imports``)."""
    return Path(settings.BANGFU_IMPORT_DIR)


def user_dir(user_id: int) -> Path:
    return import_dir() / f"u{int(user_id)}"


def _now() -> str:
    return timezone.now().isoformat()


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    part = path.with_name(f".{path.name}.{secrets.token_hex(4)}.part")
    part.write_bytes(data)
    os.replace(part, path)


def display_name(name: str | None) -> str:
    """The client's file name as shown (and as the importer names the file in its messages):
    its last path component, without control characters, at most 255 characters."""
    text = re.split(r"[\\/]", name or "")[-1]
    text = "".join(ch for ch in text if ch.isprintable()).strip()
    if len(text) > 255:
        stem, dot, suffix = text.rpartition(".")
        text = stem[: 254 - len(suffix)] + dot + suffix if dot and len(suffix) < 10 else text[:255]
    return text or "upload"


# --- the manifest ---------------------------------------------------------------------------


@dataclass
class Upload:
    """One uploaded file and what became of it (``<token>.json``)."""

    token: str
    user_id: int
    file_name: str  # as the client named it: for display only
    stored: str  # the file's name in the user's folder: "<token>.xlsx" or "<token>.csv"
    size: int
    sha256: str
    layout: str = ""  # "" (recognised from the header), "national", "bangfu"
    dry_run: bool = False
    valid_only: bool = False
    uploaded_at: str = ""
    state: str = QUEUED  # queued | running | finished | failed
    phase: str = ""  # while running: reading | checking | writing
    done: int = 0
    total: int = 0  # 0 while reading: the number of rows is known only at the end
    rows_read: int = 0
    batch_id: int | None = None
    started_at: str = ""
    finished_at: str = ""
    summary: dict[str, Any] = field(default_factory=dict)
    problems: list[dict[str, Any]] = field(default_factory=list)  # dry runs (a batch keeps its own)
    report: str = ""  # "<token>-report.xlsx" once written
    error: str = ""  # why the task failed, when it did

    # -- where

    @property
    def folder(self) -> Path:
        return user_dir(self.user_id)

    @property
    def path(self) -> Path:
        return self.folder / self.stored

    @property
    def manifest(self) -> Path:
        return self.folder / f"{self.token}.json"

    @property
    def report_path(self) -> Path | None:
        return self.folder / self.report if self.report else None

    @property
    def finished(self) -> bool:
        return self.state in {FINISHED, FAILED}

    @property
    def task_id(self) -> str:
        try:
            return (self.folder / f"{self.token}.task").read_text("ascii").strip()
        except OSError:
            return ""

    # -- reading and writing

    def save(self) -> None:
        data = json.dumps(dataclasses.asdict(self), ensure_ascii=False, indent=1)
        _write_atomic(self.manifest, data.encode("utf-8"))

    @classmethod
    def load(cls, user_id: int, token: str) -> Upload | None:
        if not TOKEN.fullmatch(token or ""):
            return None
        return cls._read(user_dir(user_id) / f"{token}.json")

    @classmethod
    def find(cls, token: str) -> Upload | None:
        """The upload with this token, whoever made it (for administrators)."""
        if not TOKEN.fullmatch(token or ""):
            return None
        for path in import_dir().glob(f"u*/{token}.json"):
            return cls._read(path)
        return None

    @classmethod
    def for_batch(cls, batch: ImportBatch) -> Upload | None:
        """The upload that made ``batch`` (None for a batch of the command line or the demo).
        Found in the folder of the batch's actor; a file refused as a whole gets a batch without
        an actor from the importer, so then in whichever user's folder links it."""
        if batch.actor_id is not None:
            links = [user_dir(batch.actor_id) / f"batch-{batch.pk}"]
        else:
            links = list(import_dir().glob(f"u*/batch-{batch.pk}"))
        for link in links:
            try:
                token = link.read_text("ascii").strip()
                user_id = int(link.parent.name[1:])
            except (OSError, ValueError):
                continue
            upload = cls.load(user_id, token)
            if upload is not None and upload.batch_id == batch.pk:
                return upload
        return None

    @classmethod
    def recent(cls, user_id: int, limit: int = 20) -> list[Upload]:
        """The user's latest uploads, newest first."""
        try:
            paths = [p for p in user_dir(user_id).iterdir() if p.suffix == ".json"]
        except OSError:
            return []
        paths.sort(key=lambda p: p.stat().st_mtime, reverse=True)
        uploads = [cls._read(p) for p in paths[: limit * 2]]
        found = [u for u in uploads if u is not None]
        found.sort(key=lambda u: u.uploaded_at, reverse=True)
        return found[:limit]

    @classmethod
    def _read(cls, path: Path) -> Upload | None:
        try:
            data = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError):
            return None
        names = {f.name for f in dataclasses.fields(cls)}
        try:
            return cls(**{k: v for k, v in data.items() if k in names})
        except TypeError:
            return None

    def link_batch(self, batch_id: int) -> None:
        self.batch_id = batch_id
        _write_atomic(self.folder / f"batch-{batch_id}", self.token.encode("ascii"))
        self.save()


# --- storing an upload ----------------------------------------------------------------------


def upload_store(
    *,
    user: Any,
    file: UploadedFile[bytes],
    layout: str = "",
    dry_run: bool = False,
    valid_only: bool = False,
) -> Upload:
    """Keep an uploaded file under a random name and check it as the importer will (size,
    emptiness, what it really is: ``importers.inspect_file``). Raises ``ImportRefused`` (the
    importer's code and message) and keeps nothing when the file cannot be imported."""
    name = display_name(file.name)
    token = secrets.token_hex(16)
    folder = user_dir(user.pk)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)  # personal data: no other reader
    part = folder / f"{token}.part"
    try:
        temporary = getattr(file, "temporary_file_path", None)
        if temporary is not None and (file.size or 0) > max_bytes():
            inspect_file(Path(temporary()), name)  # refuses (size first) before any copying
        _copy(file, part)
        info = inspect_file(part, name)
        stored = folder / f"{token}.{info.kind}"
        os.replace(part, stored)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    upload = Upload(
        token=token,
        user_id=user.pk,
        file_name=name,
        stored=stored.name,
        size=info.size,
        sha256=info.sha256,
        layout=layout,
        dry_run=dry_run,
        valid_only=valid_only,
        uploaded_at=_now(),
    )
    upload.save()
    return upload


def _copy(file: UploadedFile[bytes], target: Path) -> None:
    file.seek(0)
    with target.open("wb") as out:
        for chunk in file.chunks(CHUNK):
            out.write(chunk)


def upload_enqueue(upload: Upload) -> str:
    """Queue the import of a stored upload; returns the task result's id."""
    result = import_upload.enqueue(user_id=upload.user_id, token=upload.token)
    with contextlib.suppress(OSError):
        _write_atomic(upload.folder / f"{upload.token}.task", str(result.id).encode("ascii"))
    return str(result.id)


# --- the task -------------------------------------------------------------------------------


class _Progress:
    """The importer's progress callback (``phase, done, total``), mirrored into the manifest."""

    def __init__(self, upload: Upload) -> None:
        self.upload = upload
        self.written = 0.0

    def __call__(self, phase: str, done: int, total: int) -> None:
        upload = self.upload
        changed_phase = phase != upload.phase
        if phase == "reading":
            upload.rows_read = done
        upload.phase, upload.done, upload.total = phase, done, total
        now = time.monotonic()
        if changed_phase or now - self.written >= PROGRESS_EVERY or (total and done >= total):
            self.written = now
            upload.save()


class _Heartbeat:
    """Touches the manifest every few seconds while the task runs, however long a phase goes
    without progress to report: a manifest that stays untouched means the worker is gone."""

    def __init__(self, upload: Upload) -> None:
        self.path = upload.manifest
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._beat, name="bangfu-import-heartbeat")
        self.thread.daemon = True

    def _beat(self) -> None:
        while not self.stopped.wait(HEARTBEAT):
            with contextlib.suppress(OSError):
                os.utime(self.path)

    def __enter__(self) -> _Heartbeat:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopped.set()
        self.thread.join()


def last_sign_of_life(upload: Upload) -> float | None:
    """When the task last wrote or touched the manifest (seconds since the epoch)."""
    try:
        return upload.manifest.stat().st_mtime
    except OSError:
        return None


class _BatchWatch:
    """Learns the id of the ``ImportBatch`` the importer creates in this thread."""

    def __init__(self, upload: Upload) -> None:
        self.upload = upload
        self.thread = threading.get_ident()
        self.uid = f"bangfu-import-{upload.token}"

    def __call__(self, sender: Any, instance: ImportBatch, created: bool, **kwargs: Any) -> None:
        if created and self.upload.batch_id is None and threading.get_ident() == self.thread:
            self.upload.link_batch(instance.pk)

    def __enter__(self) -> _BatchWatch:
        post_save.connect(self, sender=ImportBatch, weak=False, dispatch_uid=self.uid)
        return self

    def __exit__(self, *exc: object) -> None:
        post_save.disconnect(sender=ImportBatch, dispatch_uid=self.uid)


def summary_of(result: ImportResult) -> dict[str, Any]:
    return {
        "layout": result.layout,
        "rows_total": result.rows_total,
        "rows_rejected": result.rows_rejected,
        "households_created": result.households_created,
        "households_updated": result.households_updated,
        "households_unchanged": result.households_unchanged,
        "households_rejected": result.households_rejected,
        "households_queued": result.households_queued,
        "problems": len(result.problems),
        "ignored_columns": list(result.ignored_columns),
        "seconds": round(result.seconds, 2),
        "refused": result.refused,
        "written": result.written,
        "batch_id": result.batch_id,
    }


def stored_problems(result: ImportResult) -> list[dict[str, Any]]:
    """The first problems, as ``ImportBatch.errors`` keeps them (the report has them all)."""
    stored = [p.as_dict() for p in result.problems[:STORED_ERRORS]]
    if len(result.problems) > STORED_ERRORS:
        stored.append({"code": "truncated", "count": len(result.problems)})
    return stored


@task()
def import_upload(user_id: int, token: str) -> dict[str, Any]:
    """Import an uploaded file as the user who uploaded it; write its report; keep the summary
    in the upload's manifest (and return it)."""
    from bangfu.accounts.models import User

    upload = Upload.load(user_id, token)
    if upload is None:
        raise FileNotFoundError(f"no upload {token} of user {user_id} in {import_dir()}")
    user = User.objects.filter(pk=user_id, is_active=True).first()
    upload.state, upload.started_at = RUNNING, _now()
    upload.save()
    if user is None:
        _fail(
            upload, _("The user who uploaded the file is no longer active; nothing was imported.")
        )
        _discard(upload)
        return upload.summary
    try:
        with _Heartbeat(upload), _BatchWatch(upload):
            result = import_households(
                upload.path,
                actor=user,
                layout=upload.layout or None,
                dry_run=upload.dry_run,
                valid_only=upload.valid_only,
                file_name=upload.file_name,
                progress=_Progress(upload),
            )
    except Exception as error:
        logger.exception("import of upload %s (%s) failed", token, upload.file_name)
        _fail(
            upload,
            _(
                "The import stopped unexpectedly ({error}); its transaction was rolled back. "
                "Import the file again; if this happens again, tell your administrator."
            ).format(error=type(error).__name__),
        )
        _discard(upload)
        raise
    if result.problems or result.queued:
        _report(upload, result)
    _discard(upload)
    upload.state, upload.finished_at, upload.phase = FINISHED, _now(), ""
    upload.summary = summary_of(result)
    if upload.batch_id is None and result.batch_id is not None:
        upload.link_batch(result.batch_id)
    if upload.batch_id is None:  # a dry run: the manifest is its only record
        upload.problems = stored_problems(result)
    upload.save()
    return upload.summary


def _report(upload: Upload, result: ImportResult) -> None:
    name = f"{upload.token}-report.xlsx"
    target = upload.folder / name
    try:
        with target.open("wb") as out:
            write_report(result, upload.path, out)
    except Exception:  # the import stands; only its report is missing
        logger.exception("report of upload %s could not be written", upload.token)
        target.unlink(missing_ok=True)
        return
    upload.report = name


def _discard(upload: Upload) -> None:
    """The uploaded file is not kept once imported: it holds personal data in clear."""
    with contextlib.suppress(OSError):
        upload.path.unlink()


def _fail(upload: Upload, message: str) -> None:
    upload.state, upload.finished_at, upload.error = FAILED, _now(), message
    upload.save()
    if upload.batch_id is not None:  # the batch the importer began must not read "running"
        ImportBatch.objects.filter(pk=upload.batch_id, finished_at__isnull=True).update(
            status="failed",
            finished_at=timezone.now(),
            errors=[
                {
                    "row": None,
                    "column": "",
                    "value": "",
                    "code": str(ErrorCode.IMPORT_REJECTED),
                    "message": message,
                }
            ],
        )


def open_report(upload: Upload) -> IO[bytes] | None:
    path = upload.report_path
    if path is None:
        return None
    try:
        return path.open("rb")
    except OSError:
        return None
