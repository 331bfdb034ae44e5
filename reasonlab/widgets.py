"""Widget panels appear only in a live kernel.

The book is executed headless (papermill, `live=False`): there a control would look live and do nothing, so
the page says what the control does and how to open the chapter live instead (`make lab`). Headless runs also
never create Output widgets, whose capture has hung nbclient intermittently (lab notes, 2026-12-02).
"""

from __future__ import annotations

from typing import Callable


def live_only(build: Callable, live: bool, what: str, *args, **kwargs):
    """`build(*args, **kwargs)` (a widget panel) in a live kernel; in the executed book a note saying what it does."""
    if live:
        return build(*args, **kwargs)
    from IPython.display import Markdown

    return Markdown(f"*A live control, shown only when the chapter runs in a kernel:* {what} "
                    f"Open the notebook live with `make lab` to use it.")
