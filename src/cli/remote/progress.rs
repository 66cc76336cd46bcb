//! Progress of long jobs on stderr: a bar with rate and ETA on a terminal, a plain line every few
//! seconds otherwise (CI logs, pipes), nothing when stderr carries JSON for a program.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

const PLAIN_EVERY: Duration = Duration::from_secs(2);

pub struct Progress {
    bar: Option<ProgressBar>,
    plain: bool,
    what: &'static str,
    total: Option<u64>,
    done: u64,
    started: Instant,
    last_line: Instant,
}

impl Progress {
    /// Progress over `total` items (if known) called `what` ("rows", "ids", "contacts").
    pub fn new(what: &'static str, total: Option<u64>, json: bool) -> Self {
        let terminal = std::io::stderr().is_terminal();
        let bar = terminal.then(|| {
            let bar = match total {
                Some(n) => ProgressBar::with_draw_target(Some(n), ProgressDrawTarget::stderr()),
                None => ProgressBar::new_spinner(),
            };
            let template = if total.is_some() {
                "{bar:40} {pos}/{len} {msg} ({per_sec}, ETA {eta})"
            } else {
                "{spinner} {pos} {msg} ({per_sec})"
            };
            if let Ok(style) = ProgressStyle::with_template(template) {
                bar.set_style(style);
            }
            bar.set_message(what);
            bar
        });
        let now = Instant::now();
        Self { bar, plain: !terminal && !json, what, total, done: 0, started: now, last_line: now }
    }

    pub fn advance(&mut self, n: u64) {
        self.done += n;
        if let Some(bar) = &self.bar {
            bar.inc(n);
        } else if self.plain && self.last_line.elapsed() >= PLAIN_EVERY {
            self.last_line = Instant::now();
            eprintln!("{}", self.line());
        }
    }

    pub fn finish(self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }

    fn line(&self) -> String {
        let secs = self.started.elapsed().as_secs_f64().max(0.001);
        let rate = self.done as f64 / secs;
        match self.total {
            Some(total) if rate > 0.0 => {
                let left = total.saturating_sub(self.done) as f64 / rate;
                format!("{}/{} {} ({rate:.0}/s, ETA {left:.0}s)", self.done, total, self.what)
            }
            _ => format!("{} {} ({rate:.0}/s)", self.done, self.what),
        }
    }
}
