//! Reconnect delays: exponential from `min` to `max`, each drawn at random from the
//! upper half of the current step ("equal jitter"), so a hundred counters that lost
//! the server together do not come back in the same millisecond.

use std::time::Duration;

use rand::Rng;

#[derive(Clone, Debug)]
pub struct Backoff {
    min: Duration,
    max: Duration,
    step: Duration,
}

impl Backoff {
    pub fn new(min: Duration, max: Duration) -> Self {
        let min = min.max(Duration::from_millis(1));
        Backoff {
            min,
            max: max.max(min),
            step: min,
        }
    }

    /// The next delay; the step after it doubles, up to `max`.
    pub fn next_delay(&mut self) -> Duration {
        let step = self.step;
        self.step = (self.step * 2).min(self.max);
        let half = step / 2;
        half + rand::thread_rng().gen_range(Duration::ZERO..=step - half)
    }

    /// After a connection that got through the handshake: start again from `min`.
    pub fn reset(&mut self) {
        self.step = self.min;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_stay_within_the_cap_and_reset() {
        let (min, max) = (Duration::from_millis(100), Duration::from_secs(3));
        let mut b = Backoff::new(min, max);
        let delays: Vec<Duration> = (0..12).map(|_| b.next_delay()).collect();
        assert!(delays[0] >= min / 2 && delays[0] <= min);
        assert!(delays.iter().all(|d| *d <= max));
        assert!(delays[11] >= max / 2, "{delays:?}");
        b.reset();
        assert!(b.next_delay() <= min);
    }
}
