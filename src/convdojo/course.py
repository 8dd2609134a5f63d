"""A course's variant settings: the public salt students' numbers come from, the switch
that turns variants off, and the secret hidden inputs come from (grader only).

The salt is public on purpose: a student's notebook computes its own numbers
without any secret. Hidden inputs need the secret (``course_secret``), which
never ships. Settings come from the environment (``CONVDOJO_VARIANTS=off``,
``CONVDOJO_VARIANT_SALT``), else ``convdojo.toml`` in the course folder::

    [variants]
    enabled = true
    salt = "ml101-2026"
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path

from . import course_secret
from .course_secret import FIXED, Secret

__all__ = ["Course", "DEFAULT_SALT", "CONFIG", "OFF", "load", "find_course_dir", "salt_secret"]

DEFAULT_SALT = "convdojo"
CONFIG = "convdojo.toml"
OFF = ("0", "off", "false", "no")  # values of CONVDOJO_VARIANTS that switch variants off


@dataclass(frozen=True)
class Course:
    """What decides every student's numbers (``salt``, ``variants``) and the hidden
    inputs (``secret``, which only the grader ever loads)."""

    salt: str = DEFAULT_SALT
    variants: bool = True
    secret: Secret = field(default=FIXED, repr=False)
    source: str = "defaults"

    def without_secret(self) -> Course:
        return replace(self, secret=FIXED)


def salt_secret(salt: str) -> Secret:
    """The public salt as a ``course_secret.Secret``, so ``course_secret.seed`` serves both."""
    return Secret(("variant-salt:" + salt).encode(), "course salt (public)")


def find_course_dir(start: Path | str | None) -> Path | None:
    """The nearest folder at or above ``start`` with ``convdojo.toml`` or the secret file
    (directly or in ``autograder/``, the kit's course folder)."""
    if start is None:
        return None
    here = Path(start).resolve()
    for folder in (here, *here.parents):
        for candidate in (folder, folder / "autograder"):
            if (candidate / CONFIG).is_file() or (candidate / course_secret.FILENAME).is_file():
                return candidate
    return None


def _read(path: Path) -> dict[str, object]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise OSError(f"cannot read the course settings {path}: {exc}") from exc
    section = data.get("variants", {})
    if not isinstance(section, dict):
        raise OSError(f"{path}: [variants] should be a table (enabled = true, salt = \"...\")")
    return section


def load(course_dir: Path | str | None = None, *, secret: bool = True,
         environment: bool = True) -> Course:
    """The course's settings; ``secret=False`` for anything a student runs.

    ``environment=False`` reads the file alone: the notebooks are built from the
    course's committed settings, whatever the shell that builds them says."""
    salt, enabled, source = DEFAULT_SALT, True, "defaults"
    folder = Path(course_dir) if course_dir is not None else None
    if folder is not None and (folder / CONFIG).is_file():
        section = _read(folder / CONFIG)
        salt = str(section.get("salt", salt)).strip() or DEFAULT_SALT
        enabled = bool(section.get("enabled", True))
        source = str(folder / CONFIG)
    if environment and os.environ.get("CONVDOJO_VARIANT_SALT", "").strip():
        salt, source = os.environ["CONVDOJO_VARIANT_SALT"].strip(), "environment"
    if environment and os.environ.get("CONVDOJO_VARIANTS", "").strip().lower() in OFF:
        enabled, source = False, "environment"
    key = course_secret.load(folder) if secret else FIXED
    return Course(salt, enabled, key, source)
