//! `trace.jsonl`'s writer thread: fingerprints the parameters the loop read back and appends
//! the trace lines, in step order, off the training loop's critical path (hashing every
//! parameter took about two thirds of digits-mlp's per-step loop work). Lines are handed
//! over in batches: waking the thread for every step cost about as much as the hashing.

use std::collections::BTreeMap;
#[cfg(test)]
use std::path::Path;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;

use crate::error::{Error, ErrorKind};
use crate::params::{ParamValues, fingerprint};
use crate::records::TraceLine;
use crate::trainer::rundir::Jsonl;

/// Batches the thread may lag behind the loop.
const QUEUE: usize = 2;
/// A batch is handed over at this many lines, or earlier at [`BATCH_BYTES`] of parameters.
const BATCH_LINES: usize = 16;
/// Parameter bytes that hand a batch over (with `QUEUE`, bounds the memory the queue holds
/// to a few times this, or to a few copies of a model larger than it).
const BATCH_BYTES: usize = 4 << 20;

enum Job {
    /// Fingerprint `params` and write the step's line.
    Params {
        step: usize,
        loss_bits: u32,
        params: BTreeMap<String, ParamValues>,
    },
    /// Write this line (its fingerprint was computed by the loop, which needed it).
    Line(TraceLine),
    /// Answer once every earlier job is written.
    Flush(SyncSender<()>),
}

/// Appends trace lines on a thread of its own. Errors surface at a later call;
/// [`TraceWriter::finish`] returns the last. Dropped, it still writes every queued line.
pub(crate) struct TraceWriter {
    tx: Option<SyncSender<Vec<Job>>>,
    thread: Option<JoinHandle<Result<(), Error>>>,
    /// Jobs not handed over yet, and their parameters' bytes.
    pending: Vec<Job>,
    pending_bytes: usize,
}

impl TraceWriter {
    pub(crate) fn start(file: Jsonl) -> Result<Self, Error> {
        let (tx, rx) = sync_channel(QUEUE);
        let thread = std::thread::Builder::new()
            .name("ditto-trace".into())
            .spawn(move || write_all(file, rx))
            .map_err(|e| {
                Error::with_source(ErrorKind::Io, None, "starting the trace writer thread", e)
            })?;
        Ok(Self {
            tx: Some(tx),
            thread: Some(thread),
            pending: Vec::new(),
            pending_bytes: 0,
        })
    }

    /// Queues a line for `step` whose fingerprint the thread computes from `params`.
    pub(crate) fn params(
        &mut self,
        step: usize,
        loss_bits: u32,
        params: BTreeMap<String, ParamValues>,
    ) -> Result<(), Error> {
        self.pending_bytes += params.values().map(|(_, v)| v.len() * 4).sum::<usize>();
        self.pending.push(Job::Params {
            step,
            loss_bits,
            params,
        });
        if self.pending.len() >= BATCH_LINES || self.pending_bytes >= BATCH_BYTES {
            self.hand_over()?;
        }
        Ok(())
    }

    /// Queues a finished line.
    pub(crate) fn line(&mut self, line: TraceLine) -> Result<(), Error> {
        self.pending.push(Job::Line(line));
        Ok(())
    }

    /// Returns once every queued line is written.
    pub(crate) fn flush(&mut self) -> Result<(), Error> {
        let (ack, done) = sync_channel(1);
        self.pending.push(Job::Flush(ack));
        self.hand_over()?;
        match done.recv() {
            Ok(()) => Ok(()),
            Err(_) => Err(self.stopped()),
        }
    }

    /// Writes every queued line and stops the thread.
    pub(crate) fn finish(mut self) -> Result<(), Error> {
        self.hand_over()?;
        self.tx = None;
        self.join()
    }

    /// Sends the pending jobs to the thread.
    fn hand_over(&mut self) -> Result<(), Error> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let jobs = std::mem::take(&mut self.pending);
        self.pending_bytes = 0;
        let sent = self.tx.as_ref().is_some_and(|tx| tx.send(jobs).is_ok());
        if sent { Ok(()) } else { Err(self.stopped()) }
    }

    /// The thread ended before being asked to: its error.
    fn stopped(&mut self) -> Error {
        self.tx = None;
        match self.join() {
            Err(e) => e,
            Ok(()) => Error::new(ErrorKind::Io, None, "the trace writer thread stopped"),
        }
    }

    fn join(&mut self) -> Result<(), Error> {
        match self.thread.take().map(JoinHandle::join) {
            None | Some(Ok(Ok(()))) => Ok(()),
            Some(Ok(Err(e))) => Err(e),
            Some(Err(_)) => Err(Error::new(
                ErrorKind::Io,
                None,
                "the trace writer thread panicked",
            )),
        }
    }
}

impl Drop for TraceWriter {
    fn drop(&mut self) {
        let _ = self.hand_over();
        self.tx = None;
        // Errors were (or will not be) reported by the caller, who is already failing.
        let _ = self.join();
    }
}

fn write_all(mut file: Jsonl, batches: Receiver<Vec<Job>>) -> Result<(), Error> {
    for job in batches.into_iter().flatten() {
        match job {
            Job::Params {
                step,
                loss_bits,
                params,
            } => file.line(&TraceLine {
                step,
                loss_bits,
                fingerprint: fingerprint(&params),
            })?,
            Job::Line(line) => file.line(&line)?,
            Job::Flush(ack) => {
                let _ = ack.send(());
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::parse_lines;

    fn params(v: f32) -> BTreeMap<String, ParamValues> {
        BTreeMap::from([("w".to_owned(), (vec![2], vec![v, -v]))])
    }

    #[test]
    fn lines_arrive_in_step_order_with_their_fingerprints() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("trace.jsonl");
        let mut w = TraceWriter::start(Jsonl::open::<TraceLine>(&path, 0).unwrap()).unwrap();
        // Crosses two batch boundaries, then a finished line.
        let n = 2 * BATCH_LINES + 3;
        for step in 1..=n {
            w.params(step, step as u32, params(step as f32)).unwrap();
        }
        let last = TraceLine {
            step: n + 1,
            loss_bits: 6,
            fingerprint: fingerprint(&params(6.0)),
        };
        w.line(last.clone()).unwrap();
        w.flush().unwrap();
        let lines: Vec<TraceLine> =
            parse_lines(&std::fs::read_to_string(&path).unwrap(), "trace").unwrap();
        assert_eq!(lines.len(), n + 1, "flush wrote every queued line");
        for (i, l) in lines[..n].iter().enumerate() {
            assert_eq!(l.step, i + 1);
            assert_eq!(l.loss_bits, (i + 1) as u32);
            assert_eq!(l.fingerprint, fingerprint(&params((i + 1) as f32)));
        }
        assert_eq!(lines[n], last);
        w.params(n + 2, 7, params(7.0)).unwrap();
        drop(w);
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            text.lines().count(),
            n + 2,
            "a dropped writer still writes its queue"
        );
    }

    /// `/dev/full` refuses every write (Linux).
    #[cfg(target_os = "linux")]
    #[test]
    fn a_failed_write_is_reported() {
        let full = std::fs::OpenOptions::new()
            .append(true)
            .open("/dev/full")
            .unwrap();
        let mut w = TraceWriter::start(Jsonl::from_file(Path::new("/dev/full"), full)).unwrap();
        // The first write fails on the thread; a later call (or finish) reports it.
        let mut failed = None;
        for step in 1..=(QUEUE + 3) * BATCH_LINES {
            if let Err(e) = w.params(step, 0, params(1.0)) {
                failed = Some(e);
                break;
            }
        }
        let e = match failed {
            Some(e) => e,
            None => w.finish().expect_err("writing to /dev/full fails"),
        };
        assert_eq!(e.kind(), ErrorKind::Io);
        assert!(e.to_string().contains("/dev/full"), "{e}");
    }
}
