//! How a socket behaves: its message rate (with the notice and the close for a flood) and
//! its run of invalid messages. The session asks before handling each message.

use std::num::NonZeroU32;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use governor::clock::QuantaClock;
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota, RateLimiter};

/// Consecutive invalid messages after which the socket is closed (1008).
const MAX_INVALID_IN_A_ROW: u32 = 10;

/// The clock of the per-socket rate limiters, created once. `RateLimiter::direct` builds a
/// new quanta clock per socket, which probes the CPU with `cpuid`; in a virtual machine each
/// probe traps to the hypervisor (BENCHMARKS.md, "Findings and fixes").
fn rate_clock() -> QuantaClock {
    static CLOCK: OnceLock<QuantaClock> = OnceLock::new();
    CLOCK.get_or_init(QuantaClock::default).clone()
}

/// What the rate rule says about one more text frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Rate {
    /// Within the rate: handle it.
    Ok,
    /// Over the rate: refuse it with a `rate_limited` notice.
    Notify,
    /// Over the rate, and a notice went out less than a second ago: drop it silently, so a
    /// flood is not answered with a flood.
    Drop,
    /// Over the rate for too long: close the socket (4029).
    Close,
}

/// How a socket has behaved: its message rate and its run of invalid messages.
pub(super) struct Conduct {
    limiter: RateLimiter<NotKeyed, InMemoryState, QuantaClock>,
    /// Refused-for-rate messages in the current 10 s window that close the socket.
    flood_close_at: u32,
    invalid_in_a_row: u32,
    limited_in_window: u32,
    window_start: Instant,
    last_limit_notice: Option<Instant>,
}

impl Conduct {
    /// `per_sec` messages per second, bursts of twice that; a socket still over the rate
    /// after `max(2 × per_sec, 50)` refusals within 10 s is closed.
    pub(super) fn new(per_sec: u32) -> Self {
        let rate = NonZeroU32::new(per_sec).unwrap_or(NonZeroU32::MIN);
        let burst = rate.saturating_mul(NonZeroU32::new(2).unwrap_or(NonZeroU32::MIN));
        Self {
            limiter: RateLimiter::direct_with_clock(
                Quota::per_second(rate).allow_burst(burst),
                rate_clock(),
            ),
            flood_close_at: per_sec.saturating_mul(2).max(50),
            invalid_in_a_row: 0,
            limited_in_window: 0,
            window_start: Instant::now(),
            last_limit_notice: None,
        }
    }

    /// The rate rule for one more text frame.
    pub(super) fn rate(&mut self) -> Rate {
        if self.limiter.check().is_ok() {
            return Rate::Ok;
        }
        if self.window_start.elapsed() > Duration::from_secs(10) {
            self.window_start = Instant::now();
            self.limited_in_window = 0;
        }
        self.limited_in_window += 1;
        if self.limited_in_window >= self.flood_close_at {
            return Rate::Close;
        }
        if self
            .last_limit_notice
            .is_some_and(|t| t.elapsed() < Duration::from_secs(1))
        {
            return Rate::Drop;
        }
        self.last_limit_notice = Some(Instant::now());
        Rate::Notify
    }

    /// One more invalid message.
    pub(super) fn invalid(&mut self) {
        self.invalid_in_a_row += 1;
    }

    /// A valid message: the invalid run is over.
    pub(super) fn valid(&mut self) {
        self.invalid_in_a_row = 0;
    }

    /// Whether the invalid run is long enough to close the socket (1008).
    pub(super) fn exhausted(&self) -> bool {
        self.invalid_in_a_row >= MAX_INVALID_IN_A_ROW
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_invalid_run_closes_after_ten_and_a_valid_message_resets_it() {
        let mut c = Conduct::new(20);
        for _ in 0..MAX_INVALID_IN_A_ROW - 1 {
            c.invalid();
        }
        assert!(!c.exhausted());
        c.valid();
        for _ in 0..MAX_INVALID_IN_A_ROW {
            c.invalid();
        }
        assert!(c.exhausted());
    }

    #[test]
    fn a_flood_is_notified_once_a_second_then_closed() {
        let mut c = Conduct::new(1);
        let verdicts: Vec<Rate> = (0..60).map(|_| c.rate()).collect();
        // The burst (2) passes, then one notice, then silence, then the close at 50.
        assert_eq!(&verdicts[..3], &[Rate::Ok, Rate::Ok, Rate::Notify]);
        assert!(
            verdicts[3..51].iter().all(|v| *v == Rate::Drop),
            "{verdicts:?}"
        );
        assert_eq!(verdicts[51], Rate::Close);
    }
}
