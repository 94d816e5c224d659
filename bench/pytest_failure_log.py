"""A pytest plugin that appends each failure's traceback to $FAILURE_LOG as it happens.

For device sessions: a run stopped by its time limit never prints pytest's summary, so tracebacks must be written
when the report arrives. Under xdist only the controller writes (it receives every worker's reports).
"""

import os


def pytest_runtest_logreport(report) -> None:
    path = os.environ.get("FAILURE_LOG")
    if not path or not report.failed or os.environ.get("PYTEST_XDIST_WORKER"):
        return
    with open(path, "a") as log:
        log.write(f"=== {report.nodeid} ({report.when})\n{report.longreprtext}\n\n")
