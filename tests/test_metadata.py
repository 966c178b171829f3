"""Package metadata in pyproject.toml's [project] table (what `pip show coresample` prints).

Issue 13, item 6: `pip show coresample` had no author. There is no public home page yet, so no
[project.urls] entry is invented; any that is added later must be a real http(s) URL (PyPI
refuses anything else).
"""
from pathlib import Path

import pytest

import coresample

tomllib = pytest.importorskip("tomllib")  # Python >= 3.11; the metadata is the same on older ones

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


@pytest.fixture(scope="module")
def project():
    if not PYPROJECT.is_file():
        pytest.skip("pyproject.toml is not next to the tests (installed-wheel run)")
    with PYPROJECT.open("rb") as f:
        return tomllib.load(f)["project"]


def test_authors_and_keywords(project):
    authors = project.get("authors")
    assert authors and all(a.get("name") for a in authors), "pip show would print no Author"
    assert project.get("keywords")


def test_version_matches_the_package(project):
    assert project["version"] == coresample.__version__


def test_project_urls_are_real_urls(project):
    for label, url in project.get("urls", {}).items():
        assert len(label) <= 32 and url.startswith(("https://", "http://")), (label, url)
