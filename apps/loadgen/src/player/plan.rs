//! The run's timing: when each player socket starts and stops, and which phase a
//! moment falls in. Pure arithmetic on the run's clock, so it is tested without sockets.

use std::time::Duration;

use tokio::time::Instant;

/// When each socket starts and stops (all relative to the run's clock).
#[derive(Debug, Clone)]
pub struct Plan {
    /// The clock's start.
    pub start: Instant,
    /// Ramp-up length.
    pub ramp_up: Duration,
    /// Steady-state length.
    pub steady: Duration,
    /// Ramp-down length.
    pub ramp_down: Duration,
    /// Player sockets.
    pub players: usize,
}

impl Plan {
    /// When player `i` connects and starts: evenly spaced over the ramp-up.
    pub fn start_of(&self, i: usize) -> Instant {
        self.start + self.ramp_up.mul_f64(i as f64 / self.players.max(1) as f64)
    }

    /// When player `i` stops answering: evenly spaced over the ramp-down.
    pub fn stop_of(&self, i: usize) -> Instant {
        self.start
            + self.ramp_up
            + self.steady
            + self
                .ramp_down
                .mul_f64((i + 1) as f64 / self.players.max(1) as f64)
    }

    /// The end of the ramp-down.
    pub fn end(&self) -> Instant {
        self.start + self.ramp_up + self.steady + self.ramp_down
    }

    /// The phase at `t` seconds after the start.
    pub fn phase_at(&self, t: f64) -> &'static str {
        let up = self.ramp_up.as_secs_f64();
        let steady = up + self.steady.as_secs_f64();
        let down = steady + self.ramp_down.as_secs_f64();
        if t < up {
            "ramp_up"
        } else if t < steady {
            "steady"
        } else if t < down {
            "ramp_down"
        } else {
            "drain"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plan_spreads_starts_and_stops() {
        let start = Instant::now();
        let p = Plan {
            start,
            ramp_up: Duration::from_secs(10),
            steady: Duration::from_secs(20),
            ramp_down: Duration::from_secs(5),
            players: 10,
        };
        assert_eq!(p.start_of(0), start);
        assert_eq!(p.start_of(5), start + Duration::from_secs(5));
        assert_eq!(p.stop_of(9), p.end());
        assert_eq!(
            p.stop_of(0),
            start + Duration::from_secs(30) + Duration::from_millis(500)
        );
        assert_eq!(p.phase_at(0.5), "ramp_up");
        assert_eq!(p.phase_at(10.5), "steady");
        assert_eq!(p.phase_at(30.5), "ramp_down");
        assert_eq!(p.phase_at(35.5), "drain");
    }
}
