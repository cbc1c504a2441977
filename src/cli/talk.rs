//! Long work talks when nobody watches a terminal: progress on standard error as a spinner
//! when it is a terminal, and otherwise as a plain line at most every so often (a log, a CI
//! job, `2> file`), so that a run whose output goes to a file is never silent for long.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

/// Progress of one piece of long work, on standard error.
pub(crate) struct Talk {
    bar: indicatif::ProgressBar,
    /// Standard error is not a terminal: plain lines instead of the spinner.
    plain: bool,
    /// On a terminal, leave the drawing to the caller's own progress bar.
    bar_elsewhere: bool,
    /// How often a plain progress line is written.
    every: Duration,
    /// When the last plain progress line was written (or the work began).
    last: Instant,
}

/// The longest a run goes without a progress line when nobody watches.
pub(crate) const PROGRESS_EVERY: Duration = Duration::from_secs(30);

impl Talk {
    /// Progress with a plain line at most every `every` when standard error is not a terminal.
    pub(crate) fn new(every: Duration) -> Talk {
        let bar = super::spinner();
        Talk {
            bar,
            plain: !std::io::stderr().is_terminal(),
            bar_elsewhere: false,
            every,
            last: Instant::now(),
        }
    }

    /// Plain progress lines when standard error is not a terminal, and nothing on one, where
    /// the caller draws its own progress bar.
    pub(crate) fn beside_a_bar() -> Talk {
        Talk {
            bar_elsewhere: true,
            ..Talk::new(PROGRESS_EVERY)
        }
    }

    /// Progress lines at most every `budget / 6` (between 1 s and [`PROGRESS_EVERY`]): a
    /// short budget still shows a few.
    pub(crate) fn for_budget(budget: Option<Duration>) -> Talk {
        let every = budget.map_or(PROGRESS_EVERY, |b| {
            (b / 6).clamp(Duration::from_secs(1), PROGRESS_EVERY)
        });
        Talk::new(every)
    }

    /// A line that stays: what the work is about to do, a warning.
    pub(crate) fn say(&self, line: &str) {
        if self.plain {
            eprintln!("{line}");
        } else {
            self.bar.println(line);
        }
    }

    /// The current progress: the spinner's message, or a plain line when one is due.
    pub(crate) fn progress(&mut self, line: impl FnOnce() -> String) {
        if !self.plain {
            if !self.bar_elsewhere {
                self.bar.set_message(line());
                self.bar.tick();
            }
        } else if self.last.elapsed() >= self.every {
            self.last = Instant::now();
            eprintln!("{}", line());
        }
    }

    /// Clears the spinner.
    pub(crate) fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
