"""Reports are written atomically under DESIGN.md's names; an interrupted write loses nothing."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from reports.files import report_stem, write_reports


def test_names_follow_the_design():
    when = datetime(2026, 11, 25, 12, 0, 5, tzinfo=UTC)

    assert report_stem(["123456789012"], when) == "preflight-123456789012-20261125T120005Z"
    assert report_stem(["1", "2"], when) == "preflight-multi-20261125T120005Z"


def test_writes_the_stamped_file_and_latest(tmp_path):
    paths = write_reports({"json": ["{}\n"]}, tmp_path, "preflight-1-20261125T120000Z")

    assert paths == [tmp_path / "preflight-1-20261125T120000Z.json"]
    assert (tmp_path / "latest.json").read_text() == "{}\n"


def test_an_interrupted_write_leaves_the_previous_report_intact(tmp_path, monkeypatch):
    write_reports({"json": ['{"run": 1}\n']}, tmp_path, "preflight-1-20261125T120000Z")

    def interrupted(fd: int) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_reports({"json": ['{"run": 2}\n']}, tmp_path, "preflight-1-20261125T130000Z")

    assert (tmp_path / "latest.json").read_text() == '{"run": 1}\n'
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "latest.json",
        "preflight-1-20261125T120000Z.json",
    ]


def test_a_format_that_fails_midway_leaves_every_previous_report_as_it_was(tmp_path):
    """Each format is written as it is rendered; none is renamed into place until all are."""
    write_reports(
        {"json": ['{"run": 1}\n'], "html": ["<p>1</p>\n"]}, tmp_path, "preflight-1-20261125T120000Z"
    )

    def html() -> Iterator[str]:
        yield "<p>2 "
        raise RuntimeError("the template broke")

    with pytest.raises(RuntimeError):
        write_reports(
            {"json": ['{"run": 2}\n'], "html": html()}, tmp_path, "preflight-1-20261125T130000Z"
        )

    assert (tmp_path / "latest.json").read_text() == '{"run": 1}\n'
    assert (tmp_path / "latest.html").read_text() == "<p>1</p>\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "latest.html",
        "latest.json",
        "preflight-1-20261125T120000Z.html",
        "preflight-1-20261125T120000Z.json",
    ]


def test_reports_follow_the_umask_and_snapshots_are_private(tmp_path):
    import os

    from reports.files import write_atomic

    old = os.umask(0o027)
    try:
        write_atomic(tmp_path / "report.html", "x")
        write_atomic(tmp_path / "snapshot.json", "{}", private=True)
    finally:
        os.umask(old)

    assert (tmp_path / "report.html").stat().st_mode & 0o777 == 0o640
    assert (tmp_path / "snapshot.json").stat().st_mode & 0o777 == 0o600
