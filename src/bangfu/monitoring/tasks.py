"""The monitoring run behind the page's button, in a django-tasks worker (``bangfu serve``
starts one; ``bangfu db_worker`` is another). The run row carries its own stage and progress,
so the page polls the row; a failed run keeps its reason there."""

from __future__ import annotations

import logging

from django_tasks import task

from bangfu.core.errors import BangfuError
from bangfu.monitoring.runs import run_execute

logger = logging.getLogger(__name__)


@task()
def monitoring_run(run_id: int) -> int:
    try:
        run_execute(run_id)
    except BangfuError:  # recorded on the run; the page shows it
        logger.info("monitoring run %s failed", run_id, exc_info=True)
    return run_id
