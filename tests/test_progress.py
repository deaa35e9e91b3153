import io

from rich.console import Console
from rich.progress import BarColumn, TextColumn

from fama_dspy.progress import RunProgress


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _progress(terminal: bool, clock: Clock, **kw) -> tuple[RunProgress, io.StringIO]:
    out = io.StringIO()
    console = Console(file=out, force_terminal=terminal, width=200)
    bar = RunProgress(TextColumn("[bold]{task.description}"), BarColumn(), console=console, clock=clock, **kw)
    return bar, out


def _logged(out: io.StringIO) -> list[str]:
    return [line for line in out.getvalue().splitlines() if " min elapsed" in line]


def test_a_log_file_gets_the_first_step_a_line_per_interval_and_the_end():
    clock = Clock()
    bar, out = _progress(terminal=False, clock=clock, log_every=60)
    with bar:
        task = bar.add_task("fama\\[react:mem] solo episodes", total=5, reward="-")
        bar.update(task, advance=1, reward="0.000")  # first step: logged
        clock.now = 30
        bar.advance(task)  # 30 s after the last line: quiet
        clock.now = 61
        bar.update(task, advance=1, reward="0.333")  # a minute after: logged
        clock.now = 62
        bar.advance(task)  # quiet
        bar.advance(task)  # the last one: logged whatever the interval
    lines = _logged(out)
    assert len(lines) == 3
    # the escaped label prints as the label, the task's fields follow
    assert lines[0].startswith("fama[react:mem] solo episodes: 1/5 (20 %) · ")
    assert lines[0].endswith("reward 0.000")
    assert lines[1].startswith("fama[react:mem] solo episodes: 3/5 (60 %)")
    assert lines[1].endswith("reward 0.333")
    assert " min left · " in lines[1]  # the run's average rate, not rich's 30-second window
    assert lines[2].startswith("fama[react:mem] solo episodes: 5/5 (100 %)")
    assert "left" not in lines[2]


def test_each_task_keeps_its_own_interval():
    clock = Clock()
    bar, out = _progress(terminal=False, clock=clock, log_every=60)
    with bar:
        a = bar.add_task("react decisions", total=10)
        b = bar.add_task("fc decisions", total=10)
        bar.advance(a)
        bar.advance(b)  # b's first step is logged although a just printed
        bar.advance(a)
    lines = _logged(out)
    assert [line.split(":")[0] for line in lines] == ["react decisions", "fc decisions"]


def test_a_terminal_shows_the_bar_only_and_a_disabled_bar_prints_nothing():
    clock = Clock()
    bar, out = _progress(terminal=True, clock=clock)
    with bar:
        task = bar.add_task("react decisions", total=2)
        bar.advance(task)
        bar.advance(task)
    assert _logged(out) == []
    bar, out = _progress(terminal=False, clock=clock, disable=True)
    with bar:
        task = bar.add_task("react decisions", total=2)
        bar.advance(task, 2)
    assert out.getvalue() == ""


def test_updates_that_do_not_advance_log_nothing():
    clock = Clock()
    bar, out = _progress(terminal=False, clock=clock)
    with bar:
        task = bar.add_task("react decisions", total=3, reward="-")
        bar.update(task, reward="0.5")
    assert _logged(out) == []
