"""What the progress display shows: counts, elapsed time and an ETA from measured epoch times; plain lines when
the output is not a terminal (one per change of the counts, not per epoch)."""

from __future__ import annotations

import io

import pytest

from spikesweep.platform.cli.live import LiveBar, PlainLines, progress_display, progress_fields
from spikesweep.platform.cli.output import format_duration
from spikesweep.platform.run.callbacks import Progress


def test_the_eta_counts_the_epochs_left_at_the_measured_pace_over_the_trials_running_at_once():
    progress = Progress(total=4)
    assert progress.eta() is None  # nothing measured yet
    progress.trial_started("a", 10)
    progress.trial_started("b", 10)
    for _ in range(4):
        progress.epoch_done("a", 2.0)
        progress.epoch_done("b", 4.0)
    # 6 + 6 epochs left on the running trials, 2 trials not started x 10 planned epochs: 32 epochs,
    # 3 s per epoch on average, 2 at once
    assert progress.eta() == pytest.approx(32 * 3.0 / 2)
    progress.epochs_left.pop("a")  # trial a stopped early: its unrun epochs are no longer waited for
    progress.running -= 1
    assert progress.eta() == pytest.approx(26 * 3.0 / 2)


def test_plain_lines_print_each_change_of_the_counts_once():
    stream = io.StringIO()
    progress = Progress(total=2)
    show = progress_display(stream, "s")
    assert isinstance(show, PlainLines)
    progress.trial_started("a", 3)
    show(progress)
    for _ in range(3):
        progress.epoch_done("a", 0.5)
        show(progress)  # epochs alone change no count: no new line
    progress.running, progress.done, progress.best_accuracy = 0, 1, 0.9
    show(progress)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("[0/2 done, 1 running, 0 failed, 0 stopped early]") and "ETA -" in lines[0]
    assert lines[1].startswith("[1/2 done, 0 running") and "best accuracy 0.9000" in lines[1]


def test_the_live_bar_draws_the_counts_times_and_front():
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    stream = Terminal()
    progress = Progress(total=3)
    with progress_display(stream, "quick") as show:
        assert isinstance(show, LiveBar)
        progress.trial_started("a", 2)
        progress.epoch_done("a", 1.0)
        progress.front = [[0.9, 1e-4]]
        show(progress)
    text = stream.getvalue()
    assert "quick" in text and "0/3 done" in text and "1 running" in text and "front 1" in text and "ETA" in text
    assert progress_fields(progress).endswith("front 1")


@pytest.mark.parametrize(("seconds", "text"), [(4.4, "4s"), (187, "3:07"), (3723, "1:02:03")])
def test_durations_read_like_a_clock(seconds, text):
    assert format_duration(seconds) == text
