//! Progress of an apply or destroy: one spinner per running change on a
//! terminal (indicatif), one plain line per start and finish elsewhere, and
//! the elapsed time of each.

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use std::collections::HashMap;
use std::io::IsTerminal;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use strata_engine::apply::{ApplyEvent, EventSink};
use strata_engine::plan::Action;
use strata_engine::Address;

/// Shows what the walker does.
pub struct Progress {
    bars: Option<MultiProgress>,
    running: Mutex<HashMap<Address, ProgressBar>>,
}

fn doing(a: Action) -> &'static str {
    match a {
        Action::Create => "creating",
        Action::Update => "updating",
        Action::Replace => "replacing",
        Action::Delete => "deleting",
        Action::NoOp => "checking",
    }
}

fn done(a: Action) -> &'static str {
    match a {
        Action::Create => "created",
        Action::Update => "updated",
        Action::Replace => "replaced",
        Action::Delete => "deleted",
        Action::NoOp => "unchanged",
    }
}

fn secs(d: Duration) -> String {
    format!("{:.1}s", d.as_secs_f64())
}

impl Progress {
    /// Spinners when stdout is a terminal, plain lines otherwise.
    pub fn new() -> Arc<Self> {
        let bars = std::io::stdout().is_terminal().then(MultiProgress::new);
        Arc::new(Progress {
            bars,
            running: Mutex::new(HashMap::new()),
        })
    }

    /// The walker's event sink.
    pub fn sink(self: &Arc<Self>) -> EventSink {
        let me = self.clone();
        EventSink(Arc::new(move |e| me.on(e)))
    }

    /// Prints a line above the spinners.
    pub fn println(&self, line: &str) {
        match &self.bars {
            Some(b) => {
                let _ = b.println(line);
            }
            None => println!("{line}"),
        }
    }

    fn on(&self, e: &ApplyEvent) {
        match e {
            ApplyEvent::Started { address, action } => match &self.bars {
                Some(b) => {
                    let bar = b.add(ProgressBar::new_spinner());
                    bar.set_style(
                        ProgressStyle::with_template("  {spinner} {msg} ({elapsed})")
                            .expect("valid template"),
                    );
                    bar.set_message(format!("{address}: {}", doing(*action)));
                    bar.enable_steady_tick(Duration::from_millis(120));
                    self.running
                        .lock()
                        .expect("lock")
                        .insert(address.clone(), bar);
                }
                None => println!("{address}: {}...", doing(*action)),
            },
            ApplyEvent::Finished {
                address,
                action,
                elapsed,
                error,
            } => {
                if let Some(bar) = self.running.lock().expect("lock").remove(address) {
                    bar.finish_and_clear();
                    if let Some(b) = &self.bars {
                        b.remove(&bar);
                    }
                }
                let line = match error {
                    None => format!("{address}: {} ({})", done(*action), secs(*elapsed)),
                    Some(err) => format!("{address}: FAILED after {}: {err}", secs(*elapsed)),
                };
                self.println(&line);
            }
        }
    }
}
