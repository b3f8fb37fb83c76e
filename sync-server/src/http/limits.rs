//! Rate limits on the doors anyone can knock on without a token: staff sign-in
//! (argon2 makes each try cost the server ~50 ms of a core, and guessing a password
//! must stay slow), device enrollment (codes must not be guessable by brute force)
//! and leader applications (each one lands in staff's review queue).
//!
//! Keys are the client's address, and for sign-in also the username, so a caller
//! cannot try one account from many addresses faster than the account allows. The
//! address comes from the connection; behind a proxy every caller shares the
//! proxy's, which only makes the limit stricter.

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::time::Duration;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};

use super::ApiError;

/// Keys kept per limiter before the idle ones are dropped.
const PRUNE_PAST_KEYS: usize = 10_000;

/// The client's address, when the server was started with connection info.
#[derive(Clone, Copy, Debug)]
pub struct ClientAddr(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientAddr(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip()),
        ))
    }
}

/// One door's limit: `burst` tries at once, then one per `every`.
struct Door {
    what: &'static str,
    limiter: DefaultKeyedRateLimiter<String>,
}

impl Door {
    fn new(what: &'static str, burst: u32, every: Duration) -> Door {
        let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
        let quota = Quota::with_period(every)
            .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
            .allow_burst(burst);
        Door {
            what,
            limiter: DefaultKeyedRateLimiter::keyed(quota),
        }
    }

    fn knock(&self, key: String) -> Result<(), ApiError> {
        if self.limiter.len() > PRUNE_PAST_KEYS {
            self.limiter.retain_recent();
        }
        self.limiter.check_key(&key).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            ApiError::TooManyRequests {
                message: format!(
                    "too many {} attempts; try again in {} s",
                    self.what,
                    wait.as_secs().max(1)
                ),
                retry_after_secs: wait.as_secs().max(1),
            }
        })
    }
}

/// The server's limits, shared by every request.
pub struct Limits {
    sign_in_by_account: Door,
    sign_in_by_address: Door,
    enrollment: Door,
    application: Door,
}

/// Device enrollments one address may make at once by default.
pub const ENROLLMENT_BURST: u32 = 10;

impl Default for Limits {
    fn default() -> Self {
        Limits::with_enrollment_burst(ENROLLMENT_BURST)
    }
}

impl Limits {
    /// The limits, with `burst` enrollments at once from one address before it is
    /// held to one every 6 s (an operator enrolling many shops' devices from one
    /// venue raises it, config `enrollment_burst`).
    pub fn with_enrollment_burst(burst: u32) -> Self {
        Limits {
            // A person mistyping gets 5 tries, then one every 12 s.
            sign_in_by_account: Door::new("sign-in", 5, Duration::from_secs(12)),
            // An office behind one address signs in many people.
            sign_in_by_address: Door::new("sign-in", 30, Duration::from_secs(2)),
            // A shop enrolls a few devices; a guesser needs millions of tries.
            enrollment: Door::new("enrollment", burst, Duration::from_secs(6)),
            application: Door::new("leader application", 5, Duration::from_secs(60)),
        }
    }
}

fn address(addr: ClientAddr) -> String {
    addr.0.map_or_else(|| "-".to_string(), |ip| ip.to_string())
}

impl Limits {
    pub fn sign_in(&self, addr: ClientAddr, username: &str) -> Result<(), ApiError> {
        self.sign_in_by_address.knock(address(addr))?;
        self.sign_in_by_account
            .knock(username.trim().to_lowercase())
    }

    pub fn enrollment(&self, addr: ClientAddr) -> Result<(), ApiError> {
        self.enrollment.knock(address(addr))
    }

    pub fn application(&self, addr: ClientAddr) -> Result<(), ApiError> {
        self.application.knock(address(addr))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_door_lets_its_burst_through_then_says_when_to_come_back() {
        let door = Door::new("sign-in", 3, Duration::from_secs(60));
        for _ in 0..3 {
            door.knock("wang".into()).unwrap();
        }
        match door.knock("wang".into()) {
            Err(ApiError::TooManyRequests {
                message,
                retry_after_secs,
            }) => {
                assert!(message.contains("sign-in"), "{message}");
                assert!((1..=60).contains(&retry_after_secs), "{retry_after_secs}");
            }
            other => panic!("expected too many requests, got {other:?}"),
        }
        // Another key has its own allowance.
        door.knock("li".into()).unwrap();
    }

    #[test]
    fn usernames_are_one_key_whatever_their_case() {
        let limits = Limits::default();
        let addr = ClientAddr(None);
        for name in ["Admin", "admin ", "ADMIN", "admin", "aDmin"] {
            limits.sign_in(addr, name).unwrap();
        }
        assert!(limits.sign_in(addr, "admin").is_err());
    }

    #[test]
    fn the_enrollment_burst_is_the_configured_one() {
        let addr = ClientAddr(None);
        let default = Limits::default();
        for _ in 0..ENROLLMENT_BURST {
            default.enrollment(addr).unwrap();
        }
        assert!(default.enrollment(addr).is_err());
        let raised = Limits::with_enrollment_burst(200);
        for _ in 0..200 {
            raised.enrollment(addr).unwrap();
        }
        assert!(raised.enrollment(addr).is_err());
    }
}
