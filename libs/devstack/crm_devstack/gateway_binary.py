"""Where Debian's nginx lives (a trimmed PATH, e.g. under sudo, may lack /usr/sbin)."""

from __future__ import annotations

import shutil


def nginx_binary() -> str | None:
    return shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/bin")
