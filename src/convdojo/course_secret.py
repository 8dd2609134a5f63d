"""The course secret: the seed of everything hidden, kept with the course and never released.

It lives in the environment (``CONVDOJO_COURSE_SECRET``) or in a file ``.convdojo_secret``
in the course folder (nbgrader's course root, e.g. ``autograder/``). nbgrader releases only
``source/<assignment>/``, so the file never reaches students; keep it out of git too.
Without a secret, ``seed`` falls back to fixed seeds and ``Secret.source`` says so.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

__all__ = ["ENV", "FILENAME", "Secret", "FIXED", "load", "create", "seed"]

ENV = "CONVDOJO_COURSE_SECRET"
FILENAME = ".convdojo_secret"


@dataclass(frozen=True)
class Secret:
    """The key hidden inputs are drawn from; ``fixed`` when no course secret was found."""

    key: bytes
    source: str  # "environment", the file's path, or "fixed seeds (no course secret)"

    @property
    def digest(self) -> str:
        """Names the key without revealing it: what caches and task keys may hold."""
        return hashlib.sha256(self.key).hexdigest()

    @property
    def fixed(self) -> bool:
        return self is FIXED or self.key == FIXED.key


FIXED = Secret(b"convdojo-fixed-seeds", "fixed seeds (no course secret)")


def load(course_dir: Path | str | None = None) -> Secret:
    """The course secret from the environment, else ``course_dir/.convdojo_secret``, else FIXED."""
    value = os.environ.get(ENV, "").strip()
    if value:
        return Secret(value.encode(), "environment")
    if course_dir is not None:
        path = Path(course_dir) / FILENAME
        try:
            text = path.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return FIXED
        except (OSError, UnicodeDecodeError) as exc:
            raise OSError(f"cannot read the course secret {path}: {exc}") from exc
        if not text:
            raise OSError(f"the course secret {path} is empty; delete it or write a key in it")
        return Secret(text.encode(), str(path))
    return FIXED


def create(course_dir: Path | str) -> Path:
    """Write a new random secret into ``course_dir`` (owner-only), unless one exists."""
    path = Path(course_dir) / FILENAME
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(secrets.token_hex(32) + "\n")
    return path


def seed(secret: Secret, *parts: str) -> int:
    """A 64-bit seed for ``parts`` (assignment, exercise, ...): stable, and unguessable
    without the key."""
    digest = hashlib.blake2b("\x1f".join(parts).encode(), key=hashlib.sha256(secret.key).digest(), digest_size=8)
    return int.from_bytes(digest.digest(), "big")
