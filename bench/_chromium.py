"""Screenshots of a local page with Debian's chromium, for the README's pictures."""

from __future__ import annotations

import subprocess
from pathlib import Path

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run", "--hide-scrollbars"]


def screenshot(chromium: str, page: Path, out: Path, size: str, profile: Path) -> None:
    """Write ``out`` (PNG) from ``page`` at ``size`` ("W,H"), in a fresh ``profile``."""
    out.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([chromium, *FLAGS, f"--user-data-dir={profile}", f"--screenshot={out}",
                    f"--window-size={size}", page.as_uri()],
                   check=True, capture_output=True, timeout=120)
