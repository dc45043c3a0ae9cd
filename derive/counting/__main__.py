"""``python -m derive.counting``: the ``count`` command without the rest of the CLI."""

from __future__ import annotations

from derive.counting.command import count

if __name__ == "__main__":
    count(prog_name="python -m derive.counting")
