"""The test settings for a site the browser tests run in a process of its own
(so that it can be killed and started again): the test's database (from
DATABASE_URL), the test process's media folder, and a task queue of its own
(TASK_QUEUE_URL) that no worker reads: the test runs the tasks it needs."""

import os
from pathlib import Path

from portal.test_settings import *  # noqa: F403

MEDIA_ROOT = Path(os.environ["E2E_SITE_MEDIA_ROOT"])
STORAGES["private"]["OPTIONS"]["location"] = MEDIA_ROOT / "private"  # noqa: F405
WHITENOISE_USE_FINDERS = True  # static files without collectstatic, as runserver
