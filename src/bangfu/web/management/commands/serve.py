"""``bangfu serve``: serve Bangfu with waitress (a production-grade pure-Python WSGI server), and
run background tasks (household imports) in a thread of the same process unless ``--no-worker``."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

logger = logging.getLogger(__name__)
RESTART_AFTER = 5.0  # seconds before a worker that stopped on an error polls again


class TaskWorker:
    """django-tasks-db's worker (the loop ``bangfu db_worker`` runs) in a daemon thread: it polls
    the task table every ``interval`` seconds and runs one task at a time. SQLite in WAL mode lets
    the pages read while a task writes."""

    def __init__(self, worker: Any) -> None:
        self.worker = worker
        self.thread = threading.Thread(target=self._run, name="bangfu-task-worker", daemon=True)

    @classmethod
    def create(cls, interval: float = 1.0) -> TaskWorker | None:
        """A worker for the default task backend, or None when that backend keeps no queue of
        its own (django-tasks' immediate or dummy backends, as in some tests)."""
        from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, DEFAULT_TASK_QUEUE_NAME, task_backends
        from django_tasks_db.backend import DatabaseBackend
        from django_tasks_db.management.commands.db_worker import Worker

        if not isinstance(task_backends[DEFAULT_TASK_BACKEND_ALIAS], DatabaseBackend):
            return None
        worker_id = f"serve-{socket.gethostname()}-{os.getpid()}"[:64]
        return cls(
            Worker(
                queue_names=[DEFAULT_TASK_QUEUE_NAME],
                interval=interval,
                batch=False,
                backend_name=DEFAULT_TASK_BACKEND_ALIAS,
                startup_delay=False,
                max_tasks=None,
                worker_id=worker_id,
                excluded_queue_names=[],
            )
        )

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> bool:
        """Ask the loop to end; returns whether a task was still running (it dies with the
        process, and its transaction is rolled back)."""
        self.worker.running = False
        return bool(self.worker.running_task)

    def _run(self) -> None:
        from django.db import connections

        while self.worker.running:
            try:
                self.worker.run()
            except Exception:
                logger.exception("The task worker stopped on an error; it starts again shortly.")
                time.sleep(RESTART_AFTER)
            finally:
                connections.close_all()


class Command(BaseCommand):
    help = (
        "Serve the web UI and API with waitress; static files are served locally by WhiteNoise. "
        "Unless --no-worker is given, a background task worker (the one `bangfu db_worker` runs) "
        "runs in a thread of this process and carries out household imports uploaded on the "
        "import page: enough for the demo and small installations. Larger installations serve "
        "with --no-worker and run one or more `bangfu db_worker` processes beside it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="address (default 127.0.0.1)")
        parser.add_argument("--port", type=int, default=8000, help="port (default 8000)")
        parser.add_argument("--threads", type=int, default=8, help="worker threads (default 8)")
        parser.add_argument(
            "--no-worker",
            action="store_true",
            help=(
                "do not run background tasks in this process (run `bangfu db_worker` instead; "
                "without a worker, uploaded imports wait in the queue)"
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from waitress import serve

        from bangfu.wsgi import application

        host, port = options["host"], options["port"]
        shown = f"[{host}]" if ":" in host else host
        worker = None if options.get("no_worker") else TaskWorker.create()
        if worker is not None:
            worker.start()
            self.stdout.write("Background tasks run in this process (--no-worker to turn off).")
        self.stdout.write(f"Serving Bangfu on http://{shown}:{port}/ (Ctrl+C to stop)")
        try:
            serve(application, host=host, port=port, threads=options["threads"], ident="bangfu")
        finally:
            if worker is not None and worker.stop():
                self.stderr.write(
                    "A background task was still running and stops with the server; what it "
                    "had not committed is rolled back. Import that file again."
                )
