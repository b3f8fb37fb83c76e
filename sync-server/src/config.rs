//! Server settings, layered: built-in defaults < TOML file < `LINLI_*`
//! environment variables < command-line flags.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};

pub const DEFAULT_LISTEN: &str = "127.0.0.1:8087";
pub const DEFAULT_DB: &str = "linli-server.sqlite3";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Config {
    /// Address the HTTP server binds to.
    pub listen: SocketAddr,
    /// The embedded SQLite database file.
    pub db: PathBuf,
    /// How consumers prove who they are when signing in: `demo` trusts a phone number.
    pub consumer_issuer: String,
    /// Radius of the nearby pickup point search when the storefront gives none, metres.
    pub nearby_radius_m: u32,
    /// Device enrollments one address may make at once before it is held to one
    /// every 6 s; raised for a day that enrolls many shops from one venue.
    pub enrollment_burst: u32,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: DEFAULT_LISTEN
                .parse()
                .expect("default listen address is valid"),
            db: PathBuf::from(DEFAULT_DB),
            consumer_issuer: "demo".into(),
            nearby_radius_m: 2_000,
            enrollment_burst: crate::http::limits::ENROLLMENT_BURST,
        }
    }
}

/// Values given on the command line; `None` leaves the lower layers in charge.
#[derive(Debug, Default, Serialize)]
pub struct Overrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<SocketAddr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub db: Option<PathBuf>,
}

impl Config {
    pub fn load(file: Option<&Path>, overrides: Overrides) -> Result<Self, Box<figment::Error>> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        if let Some(file) = file {
            // A named config file must exist; a typo should not silently run on defaults.
            figment = figment.merge(Toml::file_exact(file));
        }
        figment
            .merge(Env::prefixed("LINLI_"))
            .merge(Serialized::defaults(overrides))
            .extract()
            .map_err(Box::new)
    }
}

#[cfg(test)]
#[allow(
    clippy::result_large_err,
    reason = "figment::Jail closures must return figment::Error, which is large"
)]
mod tests {
    use super::*;
    use figment::Jail;

    #[test]
    fn defaults_apply_without_file_or_env() {
        Jail::expect_with(|_| {
            assert_eq!(
                Config::load(None, Overrides::default()).unwrap(),
                Config::default()
            );
            Ok(())
        });
    }

    #[test]
    fn layers_override_in_order() {
        Jail::expect_with(|jail| {
            jail.create_file(
                "server.toml",
                "listen = \"127.0.0.1:9000\"\ndb = \"file.sqlite3\"",
            )?;
            jail.set_env("LINLI_DB", "env.sqlite3");
            let from_file_and_env =
                Config::load(Some(Path::new("server.toml")), Overrides::default()).unwrap();
            assert_eq!(from_file_and_env.listen, "127.0.0.1:9000".parse().unwrap());
            assert_eq!(from_file_and_env.db, PathBuf::from("env.sqlite3"));

            let flags = Overrides {
                listen: Some("127.0.0.1:9001".parse().unwrap()),
                db: None,
            };
            let with_flags = Config::load(Some(Path::new("server.toml")), flags).unwrap();
            assert_eq!(with_flags.listen, "127.0.0.1:9001".parse().unwrap());
            assert_eq!(with_flags.db, PathBuf::from("env.sqlite3"));
            Ok(())
        });
    }

    #[test]
    fn missing_named_file_is_an_error() {
        Jail::expect_with(|_| {
            assert!(Config::load(Some(Path::new("nope.toml")), Overrides::default()).is_err());
            Ok(())
        });
    }
}
