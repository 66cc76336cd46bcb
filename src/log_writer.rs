//! Where the server's log lines go: gathered in memory and written to stderr by a thread of its
//! own, so that no request waits for a write to a terminal, a file or a pipe.
//!
//! Written from the request's thread, one line a request, a log reader that stopped reading (a
//! full pipe) blocked the runtime's threads in `write` and the API stopped answering; a reader
//! that kept up was woken once a request. Here a request appends its line to a buffer under a
//! lock; the first line into an empty buffer wakes the writer thread, which lets lines gather
//! for [`GATHER`] and then writes them in one go. So a busy server writes and wakes its reader
//! a hundred times a second at most, and an idle one not at all. Past [`MAX_QUEUED_BYTES`]
//! waiting, because the reader has stalled, lines are dropped and counted rather than requests
//! held back (docs/performance.md, "The request log").

use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

/// How long the writer lets lines gather after the first one arrives.
const GATHER: Duration = Duration::from_millis(10);
/// What may queue behind the batch a stalled reader holds up before lines are dropped: about
/// 64,000 request lines, and as many again in that batch at most.
const MAX_QUEUED_BYTES: usize = 16 * 1024 * 1024;
/// What a batch's buffer keeps between writes: 10 ms of a busy server's lines fit.
const KEPT_BYTES: usize = 1024 * 1024;
/// How long a stopping server waits for the lines still queued to be written: a stalled reader
/// must not keep it from exiting.
const LAST_WRITE: Duration = Duration::from_secs(1);

/// Lines dropped since the process started, for `kirim_log_lines_dropped_total`.
static DROPPED: AtomicU64 = AtomicU64::new(0);

/// The log lines dropped because their reader stalled.
pub fn dropped_lines() -> u64 {
    DROPPED.load(Ordering::Relaxed)
}

#[derive(Default)]
struct Queue {
    lines: Vec<u8>,
    /// The server is stopping: write what is queued, then end.
    closed: bool,
    /// The writer thread has written its last batch.
    finished: bool,
}

#[derive(Default)]
struct Shared {
    queue: Mutex<Queue>,
    /// Signalled by the first line into an empty queue, by closing, and by the last write.
    changed: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The log's sink, given to the subscriber ([`tracing_subscriber::fmt::MakeWriter`]).
pub struct LogWriter(Arc<Shared>);

/// Stops the writer thread when dropped, once it has written every line queued (or
/// [`LAST_WRITE`] has passed).
pub struct LogFlusher(Arc<Shared>);

/// A writer to `out` and the guard that flushes it at the end.
pub fn spawn(out: impl Write + Send + 'static) -> (LogWriter, LogFlusher) {
    let shared = Arc::new(Shared::default());
    let theirs = shared.clone();
    std::thread::Builder::new()
        .name("kirim-log".into())
        .spawn(move || write_until_closed(&theirs, out))
        .expect("start the log's writer thread");
    (LogWriter(shared.clone()), LogFlusher(shared))
}

fn write_until_closed(shared: &Shared, mut out: impl Write) {
    let mut batch = Vec::new();
    loop {
        let mut queue = shared.lock();
        while queue.lines.is_empty() && !queue.closed {
            queue = shared.changed.wait(queue).unwrap_or_else(PoisonError::into_inner);
        }
        if !queue.closed {
            drop(queue);
            std::thread::sleep(GATHER);
            queue = shared.lock();
        }
        // The buffers change places, so neither is allocated again.
        std::mem::swap(&mut batch, &mut queue.lines);
        let closed = queue.closed;
        drop(queue);
        // A write error (the reader has gone) loses these lines; there is nowhere to report it.
        let _ = out.write_all(&batch).and_then(|()| out.flush());
        batch.clear();
        // What a stall made it grow to is given back; a busy server's batch is far smaller.
        batch.shrink_to(KEPT_BYTES);
        if closed {
            shared.lock().finished = true;
            shared.changed.notify_all();
            return;
        }
    }
}

impl Write for &LogWriter {
    /// Queues one formatted event (the subscriber writes each in one call).
    fn write(&mut self, line: &[u8]) -> std::io::Result<usize> {
        let mut queue = self.0.lock();
        if queue.lines.len() + line.len() > MAX_QUEUED_BYTES {
            DROPPED.fetch_add(1, Ordering::Relaxed);
            return Ok(line.len());
        }
        let first = queue.lines.is_empty();
        queue.lines.extend_from_slice(line);
        drop(queue);
        if first {
            self.0.changed.notify_all();
        }
        Ok(line.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogWriter {
    type Writer = &'a Self;

    fn make_writer(&'a self) -> Self::Writer {
        self
    }
}

impl Drop for LogFlusher {
    fn drop(&mut self) {
        let mut queue = self.0.lock();
        queue.closed = true;
        self.0.changed.notify_all();
        let writing = |queue: &mut Queue| !queue.finished;
        let _ = self.0.changed.wait_timeout_while(queue, LAST_WRITE, writing);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;
    use std::time::Instant;

    use super::*;

    /// An output that keeps what it is given.
    #[derive(Clone, Default)]
    struct Kept(Arc<Mutex<Vec<u8>>>);

    impl Write for Kept {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// An output whose reader has stalled: a write never returns.
    struct Stalled(mpsc::Receiver<()>);

    impl Write for Stalled {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            let _ = self.0.recv();
            Err(std::io::ErrorKind::BrokenPipe.into())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn every_line_is_written_in_order_by_the_time_the_flusher_is_dropped() {
        let out = Kept::default();
        let (writer, flusher) = spawn(out.clone());
        let mut expected = String::new();
        for i in 0..10_000 {
            let line = format!("line {i}\n");
            (&writer).write_all(line.as_bytes()).unwrap();
            expected.push_str(&line);
        }
        drop(flusher);
        assert_eq!(String::from_utf8(out.0.lock().unwrap().clone()).unwrap(), expected);
    }

    #[test]
    fn a_stalled_reader_costs_lines_not_writers_and_does_not_hold_the_end_back() {
        let (_unblock, stalled) = mpsc::channel();
        let (writer, flusher) = spawn(Stalled(stalled));
        let mut line = [b'x'; 1024];
        line[1023] = b'\n';
        let before = dropped_lines();
        // Three times what may queue: at most twice is held (the queue, and the batch that the
        // stalled write holds), and every write returns at once.
        let lines = 3 * MAX_QUEUED_BYTES / line.len();
        for _ in 0..lines {
            (&writer).write_all(&line).unwrap();
        }
        assert!(dropped_lines() - before >= (lines / 3) as u64);
        let stopping = Instant::now();
        drop(flusher);
        assert!(stopping.elapsed() < LAST_WRITE + Duration::from_secs(1));
    }
}
