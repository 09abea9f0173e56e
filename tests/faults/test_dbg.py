import subprocess
import pytest
from tests.faults.test_worker_faults import *  # noqa
pytestmark = [pytest.mark.django_db(transaction=True)]

def test_where(broker, demo_files):
    municipality = fresh_start(demo_files)
    print("CONF", celery_app.conf.broker_url, celery_app.conf.task_always_eager, flush=True)
    run = nightly.nightly_enqueue(municipality=municipality)
    for db in (0, 9):
        print("DB", db, subprocess.run(["redis-cli", "-n", str(db), "llen", "celery"], capture_output=True, text=True).stdout, flush=True)
    from nhi_portal.tasks import nightly_run_task
    print("APP", nightly_run_task.app is celery_app, nightly_run_task.app.conf.broker_url, flush=True)
