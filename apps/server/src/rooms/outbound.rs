//! A socket's outbound path: what waits to be written to one socket ([`Outbox`]), filled
//! by the rooms and by the socket's session, emptied by the socket's writer.
//!
//! Two kinds of frames wait here:
//! - **State** (a hosted game's phase, its answer count and roster, the live board): at
//!   most one pending frame per [`Kind`]; a newer one replaces an older one not yet
//!   written, and nothing is dropped for being late: a socket that cannot keep up gets
//!   the latest state when it can (only the write-stall timeout of `serve` closes it).
//!   Each phase is a kind of its own (`Kind::Phase(seq)`): a phase is never replaced by
//!   the next one, so a slow reader still sees the reveal of its own answer; counts and
//!   rosters are kinds per phase, so the last count of a question still comes before
//!   its reveal. A socket more than [`PHASE_BACKLOG`] phases behind loses its oldest
//!   pending phase (with that phase's counts) to make room: it is then too far behind
//!   to play, and the newest phases are what it needs.
//! - **Events** (replies to the socket's own messages: acknowledgements, errors, pongs,
//!   snapshots): kept in order, at most [`EVENT_BACKLOG`]; the session waits for room
//!   beyond that, so a client that floods and does not read stops being read.
//!
//! **Order.** Frames are written in the order they were queued; a state frame that
//! replaces a pending one takes the place of the newest (it was queued at its own moment).
//! So a frame is never overtaken by a frame queued after it: an acknowledgement queued
//! before a phase is written before that phase, and a count queued before a reveal is
//! written before the reveal. (The one exception is the snapshot a socket starts with,
//! queued with [`Outbox::first`] ahead of whatever the room queued while it was read.)
//!
//! **Batching.** Producers wake the writer only when the outbox goes from "nothing
//! waiting" to "something waiting"; the writer then takes everything waiting at once,
//! feeds it to the socket and flushes once (one `send` for an acknowledgement and the
//! board that follows it when both are ready together). This follows tokio-rs/mini-redis's
//! `Connection` (buffered writes, one explicit flush) and the write loop of Centrifugo's
//! client (a bounded queue drained into one write), with one difference from Centrifugo:
//! state is not queued but replaced, so a slow reader costs a fixed amount of memory and
//! is never disconnected for falling behind, only for not reading at all.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::Notify;
use tokio::sync::futures::Notified;

use super::frame::SocketBoard;

/// Most events (replies) a socket may have waiting; the session then waits for room.
pub const EVENT_BACKLOG: usize = 64;
/// Most phases a socket may have waiting (see the module docs).
pub const PHASE_BACKLOG: usize = 16;

/// Which state a state frame is the latest of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A hosted game's phase of this `seq`.
    Phase(u64),
    /// The answer count within the phase of this `seq`.
    Answered(u64),
    /// The players within the phase of this `seq`.
    Roster(u64),
    /// The live board.
    Board,
}

impl Kind {
    /// The phase a kind belongs to.
    fn phase(self) -> Option<u64> {
        match self {
            Kind::Phase(s) | Kind::Answered(s) | Kind::Roster(s) => Some(s),
            Kind::Board => None,
        }
    }
}

/// The parts of a frame that every socket shares, around one socket's own part.
#[derive(Debug, Default)]
pub struct Splice {
    /// Everything before the socket's own part.
    pub head: String,
    /// Everything after it.
    pub tail: String,
}

/// One frame waiting, kept in its cheapest form until the writer turns it into text:
/// frames shared by a whole room are shared, not copied per socket.
pub enum Frame {
    /// A frame of this socket's own.
    Text(String),
    /// A frame every socket of a room gets as it is.
    Shared(Arc<str>),
    /// A shared frame with this socket's part spliced in.
    Spliced(Arc<Splice>, String),
    /// The socket's view of a board broadcast.
    Board(SocketBoard),
}

impl Frame {
    /// The frame's text.
    pub fn into_text(self) -> String {
        match self {
            Frame::Text(t) => t,
            Frame::Shared(s) => s.as_ref().to_owned(),
            Frame::Spliced(s, own) => {
                let mut t = String::with_capacity(s.head.len() + own.len() + s.tail.len());
                t.push_str(&s.head);
                t.push_str(&own);
                t.push_str(&s.tail);
                t
            }
            Frame::Board(b) => b.to_json(),
        }
    }
}

/// How the writer ends after a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum End {
    /// It does not: more may come.
    No,
    /// With this close frame.
    Close(u16, String),
    /// Without a close frame of its own (the session is over; the socket is closed as the
    /// WebSocket layer closes it).
    Quietly,
}

/// The outbox was closed (a close is queued, or the writer is gone): nothing more is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Closed;

struct Pending {
    /// `None` for an event.
    kind: Option<Kind>,
    frame: Frame,
}

#[derive(Default)]
struct Queue {
    /// In the order queued (a replaced state frame moves to the end).
    items: Vec<Pending>,
    events: usize,
    phases: usize,
    /// The highest board `seq` queued: an older board never replaces a newer one.
    board_seq: u64,
    /// How the writer ends after what is waiting.
    end: Option<End>,
    /// A close is queued or the writer is gone: nothing more is queued.
    closed: bool,
    /// The writer was woken and has not taken the batch yet.
    woken: bool,
}

/// What waits to be written to one socket. The rooms hold it for the socket's state
/// frames and closes; the session queues its replies; the writer drains it.
#[derive(Default)]
pub struct Outbox {
    queue: Mutex<Queue>,
    /// `Queue::closed`, readable without the lock.
    closing: AtomicBool,
    /// Wakes the writer.
    wake: Notify,
    /// Wakes a session waiting for room for an event.
    room: Notify,
}

impl Outbox {
    /// An empty outbox.
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Wakes the writer unless it was already woken for this batch.
    fn wake(&self, q: &mut Queue) {
        if !q.woken {
            q.woken = true;
            self.wake.notify_one();
        }
    }

    /// Queues a reply (in order), waiting while [`EVENT_BACKLOG`] replies wait.
    ///
    /// # Errors
    /// [`Closed`] once the outbox is closed.
    pub async fn event(&self, text: String) -> Result<(), Closed> {
        loop {
            let room = self.room.notified();
            tokio::pin!(room);
            room.as_mut().enable();
            {
                let mut q = self.lock();
                if q.closed {
                    return Err(Closed);
                }
                if q.events < EVENT_BACKLOG {
                    q.events += 1;
                    q.items.push(Pending {
                        kind: None,
                        frame: Frame::Text(text),
                    });
                    self.wake(&mut q);
                    return Ok(());
                }
            }
            room.await;
        }
    }

    /// Queues the socket's first frame ahead of everything waiting (the snapshot, read
    /// after the socket entered its room).
    pub fn first(&self, text: String) {
        let mut q = self.lock();
        if q.closed {
            return;
        }
        q.events += 1;
        q.items.insert(
            0,
            Pending {
                kind: None,
                frame: Frame::Text(text),
            },
        );
        self.wake(&mut q);
    }

    /// Queues the latest state of `kind`, replacing a pending one of the same kind.
    /// Returns `false` when the outbox is closed.
    pub fn state(&self, kind: Kind, frame: Frame) -> bool {
        let mut q = self.lock();
        if q.closed {
            return false;
        }
        Self::replace(&mut q, kind, frame);
        self.wake(&mut q);
        true
    }

    fn replace(q: &mut Queue, kind: Kind, frame: Frame) {
        if let Some(i) = q.items.iter().position(|p| p.kind == Some(kind)) {
            q.items.remove(i);
        } else if let Kind::Phase(_) = kind {
            q.phases += 1;
            if q.phases > PHASE_BACKLOG {
                Self::drop_oldest_phase(q);
            }
        }
        q.items.push(Pending {
            kind: Some(kind),
            frame,
        });
    }

    /// Makes room for a phase: the oldest pending phase goes, with its counts.
    fn drop_oldest_phase(q: &mut Queue) {
        let oldest = q
            .items
            .iter()
            .filter_map(|p| match p.kind {
                Some(Kind::Phase(s)) => Some(s),
                _ => None,
            })
            .min();
        if let Some(seq) = oldest {
            q.items
                .retain(|p| p.kind.and_then(Kind::phase) != Some(seq));
            q.phases -= 1;
        }
    }

    /// Queues a board unless a newer one was queued already. Returns whether it was
    /// queued.
    pub fn board(&self, board: SocketBoard) -> bool {
        let mut q = self.lock();
        let seq = board.seq();
        if q.closed || seq <= q.board_seq {
            return false;
        }
        q.board_seq = seq;
        Self::replace(&mut q, Kind::Board, Frame::Board(board));
        self.wake(&mut q);
        true
    }

    /// Closes the socket with `code` after what is waiting. Returns `true` when this call
    /// closed it (the first close wins).
    pub fn close(&self, code: u16, reason: impl Into<String>) -> bool {
        let mut q = self.lock();
        if q.closed {
            return false;
        }
        self.mark_closed(&mut q);
        q.end = Some(End::Close(code, reason.into()));
        self.wake(&mut q);
        drop(q);
        self.room.notify_waiters();
        true
    }

    /// Ends the socket after what is waiting, without a close frame of its own, unless a
    /// close is queued already.
    pub fn finish(&self) {
        let mut q = self.lock();
        if q.closed {
            return;
        }
        self.mark_closed(&mut q);
        q.end = Some(End::Quietly);
        self.wake(&mut q);
        drop(q);
        self.room.notify_waiters();
    }

    /// Whether the socket is closed or closing.
    pub fn is_closed(&self) -> bool {
        self.closing.load(Ordering::Acquire)
    }

    /// Marks the queue closed (under its lock).
    fn mark_closed(&self, q: &mut Queue) {
        q.closed = true;
        self.closing.store(true, Ordering::Release);
    }

    /// Completes when the writer was woken (something waits); see [`Outbox::take`].
    pub fn wait(&self) -> Notified<'_> {
        self.wake.notified()
    }

    /// Takes everything waiting, in order, into `batch` (emptied first); returns how the
    /// writer ends after it.
    pub fn take(&self, batch: &mut Vec<Frame>) -> End {
        batch.clear();
        let end = {
            let mut q = self.lock();
            q.woken = false;
            q.events = 0;
            q.phases = 0;
            batch.extend(q.items.drain(..).map(|p| p.frame));
            q.end.take().unwrap_or(End::No)
        };
        self.room.notify_waiters();
        end
    }

    /// The writer is gone (the socket closed or failed): nothing more is queued, and a
    /// session waiting for room stops waiting.
    pub fn shut(&self) {
        {
            let mut q = self.lock();
            self.mark_closed(&mut q);
            q.items.clear();
        }
        self.room.notify_waiters();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(o: &Outbox) -> (Vec<String>, End) {
        let mut batch = Vec::new();
        let close = o.take(&mut batch);
        (batch.into_iter().map(Frame::into_text).collect(), close)
    }

    fn shared(s: &str) -> Frame {
        Frame::Shared(Arc::from(s))
    }

    #[tokio::test]
    async fn state_replaces_state_of_its_kind_and_keeps_the_order_of_queueing() {
        let o = Outbox::new();
        o.state(Kind::Answered(1), shared("a1"));
        o.event("ack".into()).await.unwrap();
        o.state(Kind::Answered(1), shared("a2"));
        o.state(Kind::Phase(2), shared("reveal"));
        o.state(Kind::Roster(2), shared("r"));
        o.state(Kind::Phase(3), shared("board"));
        // The count moved behind the ack it was replaced after; every phase stays.
        assert_eq!(texts(&o).0, ["ack", "a2", "reveal", "r", "board"]);
        assert_eq!(texts(&o).0, Vec::<String>::new());
    }

    #[tokio::test]
    async fn the_first_frame_goes_ahead_and_a_close_ends_the_queue() {
        let o = Outbox::new();
        o.state(Kind::Phase(0), shared("lobby"));
        o.first("snapshot".into());
        assert!(o.close(4009, "removed"));
        assert!(!o.close(4010, "again"), "the first close wins");
        assert!(!o.state(Kind::Phase(1), shared("late")));
        assert!(o.event("late".into()).await.is_err());
        let (t, close) = texts(&o);
        assert_eq!(t, ["snapshot", "lobby"]);
        assert_eq!(close, End::Close(4009, "removed".to_owned()));
    }

    #[tokio::test]
    async fn a_socket_far_behind_keeps_the_newest_phases() {
        let o = Outbox::new();
        for seq in 0..(PHASE_BACKLOG as u64 + 3) {
            o.state(Kind::Phase(seq), shared(&format!("p{seq}")));
            o.state(Kind::Answered(seq), shared(&format!("a{seq}")));
        }
        let (t, _) = texts(&o);
        assert_eq!(t.len(), 2 * PHASE_BACKLOG);
        assert_eq!(t[0], "p3");
        assert_eq!(t.last().map(String::as_str), Some("a18"));
    }

    #[tokio::test]
    async fn events_are_bounded_and_the_session_waits_for_room() {
        let o = Outbox::new();
        for i in 0..EVENT_BACKLOG {
            o.event(format!("e{i}")).await.unwrap();
        }
        let waiting = tokio::spawn({
            let o = o.clone();
            async move { o.event("last".into()).await }
        });
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished());
        assert_eq!(texts(&o).0.len(), EVENT_BACKLOG);
        waiting.await.unwrap().unwrap();
        assert_eq!(texts(&o).0, ["last"]);
        // A writer that is gone releases a waiting session with an error.
        for i in 0..EVENT_BACKLOG {
            o.event(format!("e{i}")).await.unwrap();
        }
        let waiting = tokio::spawn({
            let o = o.clone();
            async move { o.event("never".into()).await }
        });
        tokio::task::yield_now().await;
        o.shut();
        assert_eq!(waiting.await.unwrap(), Err(Closed));
    }

    #[tokio::test]
    async fn the_writer_is_woken_once_per_batch() {
        let o = Outbox::new();
        for i in 0..10 {
            o.state(Kind::Answered(0), shared(&format!("{i}")));
        }
        o.wait().await;
        assert_eq!(texts(&o).0, ["9"]);
        // No second wake-up is stored for the frames already taken.
        let again = tokio::time::timeout(std::time::Duration::from_millis(20), o.wait()).await;
        assert!(again.is_err());
    }
}
