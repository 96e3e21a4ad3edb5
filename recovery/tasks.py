"""Celery tasks: thin wrappers that run a service by id (autodiscovered by config.celery)."""

from celery import shared_task

from recovery.import_runs import import_run_check, import_run_execute, import_run_mark_stalled


@shared_task(name="recovery.import_run_check")
def import_run_check_task(run_id: int) -> None:
    import_run_check(run_id=run_id)


@shared_task(name="recovery.import_run_execute")
def import_run_execute_task(run_id: int) -> None:
    import_run_execute(run_id=run_id)


@shared_task(name="recovery.import_runs_mark_stalled")
def import_runs_mark_stalled_task() -> int:
    return import_run_mark_stalled()
