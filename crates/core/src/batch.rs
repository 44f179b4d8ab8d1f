//! Coalescing of a run's events: text deltas merge per cell per frame instead of
//! one per token, and a sink that crosses to the window hears where each frame ends,
//! so it sends one IPC message per frame instead of one per event (a 1,000-case
//! suite ends thousands of cells a minute).

use std::time::Duration;
use tokio::sync::mpsc;
use whetstone_model::{CellId, RunEvent};

/// About one display frame.
pub const FRAME: Duration = Duration::from_millis(16);

/// Merges consecutive deltas of each cell until [`flush`](Self::flush). Any other
/// event flushes first, so the order a consumer sees is the order things happened.
/// One cell's merged deltas: its id, the text, and the latest elapsed time and token estimate.
type Pending = (CellId, String, f64, Option<u32>);

#[derive(Debug, Default)]
pub struct DeltaBatcher {
    // A few cells at most are live at once; a Vec keeps first-delta order cheaply.
    pending: Vec<Pending>,
}

impl DeltaBatcher {
    pub fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }

    /// Takes one event; returns the events to forward now.
    pub fn push(&mut self, event: RunEvent) -> Vec<RunEvent> {
        match event {
            RunEvent::Delta {
                cell_id,
                text,
                elapsed_ms,
                output_tokens,
            } => {
                match self.pending.iter_mut().find(|(id, ..)| *id == cell_id) {
                    Some((_, buf, elapsed, tokens)) => {
                        buf.push_str(&text);
                        *elapsed = elapsed_ms;
                        *tokens = output_tokens.or(*tokens);
                    }
                    None => self
                        .pending
                        .push((cell_id, text, elapsed_ms, output_tokens)),
                }
                Vec::new()
            }
            other => {
                let mut out = self.flush();
                out.push(other);
                out
            }
        }
    }

    /// The merged deltas, one per cell.
    pub fn flush(&mut self) -> Vec<RunEvent> {
        self.pending
            .drain(..)
            .map(
                |(cell_id, text, elapsed_ms, output_tokens)| RunEvent::Delta {
                    cell_id,
                    text,
                    elapsed_ms,
                    output_tokens,
                },
            )
            .collect()
    }
}

/// Where a streaming command's events go. Any `FnMut(E)` is one (it hears each
/// event as it is forwarded); a sink that sends events on in groups also hears
/// where each frame ends.
pub trait Sink<E>: Send + 'static {
    fn event(&mut self, event: E);
    /// The events since the previous frame end may go out together now.
    fn frame_end(&mut self) {}
}

impl<E, F: FnMut(E) + Send + 'static> Sink<E> for F {
    fn event(&mut self, event: E) {
        self(event)
    }
}

/// Forwards `rx` to `sink` until the sender is dropped: deltas merged per
/// `interval`, other events at once, and a frame end at most `interval` after any
/// event.
pub(crate) async fn forward(
    mut rx: mpsc::UnboundedReceiver<RunEvent>,
    mut sink: impl Sink<RunEvent>,
    interval: Duration,
) {
    let mut batcher = DeltaBatcher::default();
    // When the open frame ends; none while nothing has been forwarded since the last.
    let mut frame_ends: Option<tokio::time::Instant> = None;
    loop {
        let event = match frame_ends {
            Some(at) => tokio::select! {
                event = rx.recv() => event,
                _ = tokio::time::sleep_until(at) => {
                    batcher.flush().into_iter().for_each(|e| sink.event(e));
                    sink.frame_end();
                    frame_ends = None;
                    continue;
                }
            },
            None => rx.recv().await,
        };
        let Some(event) = event else { break };
        batcher.push(event).into_iter().for_each(|e| sink.event(e));
        frame_ends.get_or_insert_with(|| tokio::time::Instant::now() + interval);
    }
    batcher.flush().into_iter().for_each(|e| sink.event(e));
    sink.frame_end();
}

#[cfg(test)]
mod tests {
    use super::*;
    use whetstone_model::RunStatus;

    fn delta(cell_id: CellId, text: &str, elapsed_ms: f64) -> RunEvent {
        RunEvent::Delta {
            cell_id,
            text: text.into(),
            elapsed_ms,
            output_tokens: None,
        }
    }

    fn counted(cell_id: CellId, text: &str, elapsed_ms: f64, tokens: u32) -> RunEvent {
        RunEvent::Delta {
            cell_id,
            text: text.into(),
            elapsed_ms,
            output_tokens: Some(tokens),
        }
    }

    #[test]
    fn a_merged_delta_carries_the_latest_token_estimate() {
        let mut b = DeltaBatcher::default();
        b.push(counted(1, "abcd", 1.0, 1));
        b.push(counted(1, "efgh", 2.0, 2));
        b.push(delta(1, "i", 3.0));
        assert_eq!(b.flush(), vec![counted(1, "abcdefghi", 3.0, 2)]);
    }

    #[test]
    fn merges_deltas_per_cell_in_first_seen_order() {
        let mut b = DeltaBatcher::default();
        assert!(b.push(delta(2, "a", 1.0)).is_empty());
        assert!(b.push(delta(1, "x", 2.0)).is_empty());
        assert!(b.push(delta(2, "b", 3.0)).is_empty());
        assert_eq!(b.flush(), vec![delta(2, "ab", 3.0), delta(1, "x", 2.0)]);
        assert!(b.flush().is_empty());
    }

    #[test]
    fn other_events_flush_pending_deltas_first() {
        let mut b = DeltaBatcher::default();
        b.push(delta(1, "hel", 1.0));
        b.push(delta(1, "lo", 2.0));
        let finished = RunEvent::Finished {
            run_id: 7,
            status: RunStatus::Done,
        };
        assert_eq!(
            b.push(finished.clone()),
            vec![delta(1, "hello", 2.0), finished]
        );
        assert!(b.is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn forward_sends_one_delta_per_cell_per_interval() {
        let (tx, rx) = mpsc::unbounded_channel();
        let (out_tx, mut out_rx) = mpsc::unbounded_channel();
        let task = tokio::spawn(forward(rx, move |e| out_tx.send(e).unwrap(), FRAME));
        for i in 0..100 {
            tx.send(delta(1, "t", i as f64)).unwrap();
        }
        tokio::time::sleep(FRAME * 2).await;
        assert_eq!(out_rx.try_recv().unwrap(), delta(1, &"t".repeat(100), 99.0));
        assert!(out_rx.try_recv().is_err());
        tx.send(delta(1, "end", 100.0)).unwrap();
        drop(tx);
        task.await.unwrap();
        assert_eq!(out_rx.try_recv().unwrap(), delta(1, "end", 100.0));
    }

    /// Records the frames a sink is given.
    struct Frames {
        open: Vec<RunEvent>,
        out: mpsc::UnboundedSender<Vec<RunEvent>>,
    }

    impl Sink<RunEvent> for Frames {
        fn event(&mut self, event: RunEvent) {
            self.open.push(event);
        }
        fn frame_end(&mut self) {
            let _ = self.out.send(std::mem::take(&mut self.open));
        }
    }

    #[tokio::test(start_paused = true)]
    async fn events_of_one_interval_form_one_frame_in_order() {
        let (tx, rx) = mpsc::unbounded_channel();
        let (out, mut frames) = mpsc::unbounded_channel();
        let sink = Frames {
            open: Vec::new(),
            out,
        };
        let task = tokio::spawn(forward(rx, sink, FRAME));
        let progress = |done| RunEvent::Progress {
            run_id: 7,
            done,
            total: 3,
            eta_ms: None,
        };
        tx.send(delta(1, "a", 1.0)).unwrap();
        tx.send(progress(1)).unwrap();
        tx.send(delta(2, "b", 2.0)).unwrap();
        tx.send(delta(2, "c", 3.0)).unwrap();
        tx.send(progress(2)).unwrap();
        tokio::time::sleep(FRAME * 2).await;
        assert_eq!(
            frames.try_recv().unwrap(),
            vec![
                delta(1, "a", 1.0),
                progress(1),
                delta(2, "bc", 3.0),
                progress(2)
            ]
        );
        assert!(
            frames.try_recv().is_err(),
            "a quiet interval sends no frame"
        );
        tx.send(progress(3)).unwrap();
        drop(tx);
        task.await.unwrap();
        assert_eq!(frames.try_recv().unwrap(), vec![progress(3)]);
    }
}
