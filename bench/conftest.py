"""Fixtures for the pytest-benchmark suites in bench/ (run: python3 -m pytest bench/ --benchmark-only).

bench/ is outside the project's testpaths (["tests"]), so the default `python3 -m pytest` never
collects these files. Every library is limited to the same thread count for the whole session.
"""
import os

import pytest

import benchutil as bu

THREADS = int(os.environ.get("CORESAMPLE_BENCH_THREADS", os.cpu_count() or 1))


@pytest.fixture(scope="session", autouse=True)
def _same_threads_for_all():
    with bu.limit_threads(THREADS):
        yield


@pytest.fixture(scope="session")
def threads():
    return THREADS
