"""``RunProgress``: rich's progress bar, plus a plain line now and then where no terminal shows it.

Long runs here are meant to go to the background (``nohup fama bench ... > log``). There rich's
live bar renders nothing until it stops, so hours of work would leave an empty log. Where the
console is not a terminal, ``RunProgress`` prints one line per task at its first step, then at
most once per ``log_every`` seconds, and when the task completes:
``irma · acebench multi-step: 7/20 (35 %) · 41.2 min elapsed · ~76.5 min left · reward 0.143``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    Task,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)


class RunProgress(Progress):
    """``rich.progress.Progress`` that also logs plain lines to a console that is not a terminal.

    Put the run's label in the task description (``add_task(escape(label), total=n)``): the
    logged line starts with it. The description is rich markup, as in the bar's ``TextColumn``;
    extra task fields (``reward=...``) are appended as ``name value``.
    """

    def __init__(
        self, *columns: Any, log_every: float = 60.0, clock: Callable[[], float] = time.monotonic, **kw
    ):
        super().__init__(*columns, **kw)
        self.log_every = log_every
        self._clock = clock
        self._logged_at: dict[TaskID, float] = {}
        # Workers advance from their threads. Not rich's own lock: its refresh thread holds the
        # live display's lock while it waits for that one, and printing needs the display's.
        self._log_lock = threading.Lock()

    @classmethod
    def counting(cls, console: Console | None = None, *, disable: bool = False) -> RunProgress:
        """The runners' usual bar on stderr: label, bar, done/total, time left."""
        return cls(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=console or Console(stderr=True),
            disable=disable,
        )

    def update(self, task_id: TaskID, **kw: Any) -> None:
        super().update(task_id, **kw)
        if kw.get("advance") or kw.get("completed") is not None:
            self._log(task_id)

    def advance(self, task_id: TaskID, advance: float = 1) -> None:
        super().advance(task_id, advance)
        self._log(task_id)

    def _log(self, task_id: TaskID) -> None:
        if self.disable or self.console.is_terminal:  # the live bar already shows it
            return
        task = next((t for t in self.tasks if t.id == task_id), None)
        if task is None or not task.completed:
            return
        with self._log_lock:
            now = self._clock()
            last = self._logged_at.get(task_id)
            if last is not None and now - last < self.log_every and not task.finished:
                return
            self._logged_at[task_id] = now
        self.console.print(progress_line(task), highlight=False, soft_wrap=True)


def progress_line(task: Task) -> str:
    """One plain line for a task: label, done/total, percent, elapsed, estimate, extra fields."""
    parts = [f"{task.description}: {task.completed:g}/{task.total:g}" if task.total else task.description]
    if task.total:
        parts[0] += f" ({100 * task.completed / task.total:.0f} %)"
    if task.elapsed is not None:
        parts.append(f"{task.elapsed / 60:.1f} min elapsed")
    # The run's average rate: rich's own estimate needs several updates within 30 s, which a
    # run that logs once a minute does not have.
    if not task.finished and task.total and task.completed and task.elapsed:
        left = task.elapsed / task.completed * (task.total - task.completed)
        parts.append(f"~{left / 60:.1f} min left")
    parts += [f"{name} {value}" for name, value in task.fields.items()]
    return " · ".join(parts)
