"""A plain-text progress bar on stderr: redrawn in place on a terminal, one line per step in a log."""

from __future__ import annotations

import sys
from typing import TextIO


class Progress:
    def __init__(self, stream: TextIO | None = None, width: int = 24, enabled: bool = True):
        self.stream = stream if stream is not None else sys.stderr
        self.width = width
        self.enabled = enabled
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())

    def __call__(self, done: int, total: int, label: str) -> None:
        if not self.enabled:
            return
        filled = self.width * done // max(total, 1)
        line = f"[{'#' * filled}{'.' * (self.width - filled)}] {done}/{total} {label}"
        if self.tty:
            self.stream.write("\r" + line[:120].ljust(120) + ("\n" if done == total else ""))
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def clear(self) -> None:
        """Blank the bar's line so a table printed to the same terminal starts clean."""
        if self.enabled and self.tty:
            self.stream.write("\r" + " " * 120 + "\r")
            self.stream.flush()
