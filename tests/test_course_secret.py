"""The course secret: where it is found, and that seeds depend on it."""

from __future__ import annotations

import stat

import pytest

from convdojo import course_secret


def test_fixed_without_secret(tmp_path, monkeypatch):
    monkeypatch.delenv(course_secret.ENV, raising=False)
    found = course_secret.load(tmp_path)
    assert found.fixed and "no course secret" in found.source


def test_file_then_environment(tmp_path, monkeypatch):
    monkeypatch.delenv(course_secret.ENV, raising=False)
    path = course_secret.create(tmp_path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    from_file = course_secret.load(tmp_path)
    assert not from_file.fixed and from_file.source == str(path)
    monkeypatch.setenv(course_secret.ENV, "another key")
    assert course_secret.load(tmp_path).source == "environment"
    with pytest.raises(FileExistsError):
        course_secret.create(tmp_path)


def test_empty_file_is_an_error(tmp_path, monkeypatch):
    monkeypatch.delenv(course_secret.ENV, raising=False)
    (tmp_path / course_secret.FILENAME).write_text("\n")
    with pytest.raises(OSError, match="empty"):
        course_secret.load(tmp_path)


def test_seed_depends_on_key_and_parts():
    a = course_secret.Secret(b"k1", "test")
    b = course_secret.Secret(b"k2" * 100, "test")
    assert course_secret.seed(a, "x", "y") == course_secret.seed(a, "x", "y")
    assert course_secret.seed(a, "x", "y") != course_secret.seed(b, "x", "y")
    assert course_secret.seed(a, "x", "y") != course_secret.seed(a, "xy")
