//! Command line of the sync server: `serve`, `migrate`, `demo`.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use linli_core::print::FontSource;
use linli_core::time::Millis;
use linli_sync_server::config::{Config, Overrides, DEFAULT_DB, DEFAULT_LISTEN};
use linli_sync_server::store::{SqliteStore, Store};
use linli_sync_server::{db, demo, http, scheduler};
use tracing_subscriber::EnvFilter;

#[derive(Parser)]
#[command(version, about = "Linli sync server")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the HTTP API.
    Serve(ServeArgs),
    /// Apply database migrations and exit.
    Migrate(ServeArgs),
    /// Seed a demo city into an empty database, then serve it.
    Demo(DemoArgs),
    /// Create a platform staff account; the password comes from `LINLI_STAFF_PASSWORD`
    /// or, when that is unset, one line of standard input.
    AddStaff(AddStaffArgs),
    /// Print the API's OpenAPI document (what `/openapi.json` answers) and exit;
    /// the admin web's TypeScript client is generated from it.
    Openapi,
}

#[derive(Args)]
struct ServeArgs {
    /// TOML config file; `LINLI_*` environment variables override it.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    #[arg(long, value_name = "ADDR", help = format!("Address to listen on [default: {DEFAULT_LISTEN}]"))]
    listen: Option<std::net::SocketAddr>,
    #[arg(long, value_name = "PATH", help = format!("SQLite database file [default: {DEFAULT_DB}]"))]
    db: Option<PathBuf>,
}

#[derive(Args)]
struct DemoArgs {
    #[command(flatten)]
    serve: ServeArgs,
    /// Keep placing an order every 1–3 s from random consumers.
    #[arg(long)]
    simulate: bool,
    /// Seed of the demo city (the same seed makes the same city).
    #[arg(long, default_value_t = demo::DEFAULT_SEED)]
    seed: u64,
}

/// What `demo` adds to `serve`.
struct DemoMode {
    simulate: bool,
    seed: u64,
}

impl ServeArgs {
    fn config(self) -> anyhow::Result<Config> {
        let overrides = Overrides {
            listen: self.listen,
            db: self.db,
        };
        Ok(Config::load(self.config.as_deref(), overrides)?)
    }
}

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        // Colour codes only for a person at a terminal, not in log files.
        .with_ansi(std::io::stdout().is_terminal())
        .init();

    match Cli::parse().command {
        Command::Migrate(args) => migrate(&args.config()?.db),
        Command::AddStaff(args) => add_staff(args),
        Command::Openapi => {
            use std::io::Write;
            let mut doc = http::openapi().to_pretty_json()?;
            doc.push('\n');
            // An error (a closed pipe), not a panic, when the reader stops early.
            std::io::stdout().write_all(doc.as_bytes())?;
            Ok(())
        }
        Command::Serve(args) => serve(args.config()?, None),
        Command::Demo(args) => serve(
            args.serve.config()?,
            Some(DemoMode {
                simulate: args.simulate,
                seed: args.seed,
            }),
        ),
    }
}

fn migrate(path: &Path) -> anyhow::Result<()> {
    let conn = db::open(path).with_context(|| format!("opening {}", path.display()))?;
    tracing::info!(db = %path.display(), version = db::schema_version(&conn)?, "schema up to date");
    Ok(())
}

#[tokio::main]
async fn serve(config: Config, demo: Option<DemoMode>) -> anyhow::Result<()> {
    // Checked before anything is opened, so a bad setting fails fast and says which.
    let consumer = http::consumer::ConsumerSettings::from_config(&config)?;
    let store = SqliteStore::open(&config.db)
        .with_context(|| format!("opening {}", config.db.display()))?;
    // Printing needs a CJK font; without it the server still serves, and the PDF
    // endpoints say which package to install.
    let font =
        std::env::var_os("LINLI_PRINT_FONT").map_or_else(FontSource::debian, FontSource::path);
    if let Err(reason) = http::waves::load_print_font(&font) {
        tracing::warn!(%reason, "PDF printing is unavailable");
    }
    if let Some(demo) = &demo {
        run_demo(&store, demo, &config.db).await?;
    }
    // Catches up a cutoff missed while the server was down, then keeps the schedule.
    scheduler::spawn(store.clone());
    let tokens = http::TokenKeys::new(store.token_key().await?);
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("binding {}", config.listen))?;
    tracing::info!(listen = %listener.local_addr()?, db = %config.db.display(), "serving");
    axum::serve(
        listener,
        // The client's address keys the rate limits on sign-in and enrollment.
        http::router(
            http::AppState::new(store, tokens)
                .with_consumer(consumer)
                .with_limits(http::limits::Limits::with_enrollment_burst(
                    config.enrollment_burst,
                )),
        )
        .into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await?;
    tracing::info!("stopped");
    Ok(())
}

/// Seeds an empty database (a non-empty one is served as it is) and starts the
/// order simulator when asked.
async fn run_demo(store: &SqliteStore, mode: &DemoMode, db: &Path) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let cast = match demo::seed(store, mode.seed, Millis::now()).await? {
        Some(seeded) => {
            let orders: usize = seeded.orders.values().sum();
            tracing::info!(
                seed = mode.seed,
                orders,
                waves_frozen = seeded.waves.len(),
                took_ms = started.elapsed().as_millis() as u64,
                "demo: city seeded"
            );
            // Shown once: only its hash is stored.
            tracing::info!(username = demo::ADMIN_USERNAME, password = %seeded.admin_password,
                "demo: platform admin created; sign in with this password");
            seeded.cast
        }
        None => {
            tracing::info!(db = %db.display(), "demo: the database already has data; serving it \
                as it is (delete the file to seed afresh with a new admin password)");
            if mode.simulate {
                demo::load_cast(db)?
            } else {
                demo::Cast::default()
            }
        }
    };
    if mode.simulate {
        tokio::spawn(demo::simulate(store.clone(), cast, mode.seed));
        tracing::info!("demo: simulating an order every 1–3 s");
    }
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM (how `make demo` and service managers stop us).
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}

#[derive(Args)]
struct AddStaffArgs {
    /// TOML config file; `LINLI_*` environment variables override it.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    #[arg(long, value_name = "PATH", help = format!("SQLite database file [default: {DEFAULT_DB}]"))]
    db: Option<PathBuf>,
    /// Sign-in name: 3–32 letters, digits, '.', '_' or '-'.
    #[arg(long)]
    username: String,
    /// Display name.
    #[arg(long)]
    name: String,
    /// admin, operator or finance.
    #[arg(long, value_parser = parse_role)]
    role: http::Role,
}

fn parse_role(s: &str) -> Result<http::Role, String> {
    http::Role::parse(s).ok_or_else(|| format!("'{s}' is not a role: admin, operator or finance"))
}

/// The new account's password: never a flag, so it stays out of shell history
/// and the process list.
fn staff_password() -> anyhow::Result<String> {
    if let Ok(p) = std::env::var("LINLI_STAFF_PASSWORD") {
        return Ok(p);
    }
    if std::io::stdin().is_terminal() {
        eprint!("Password (at least 8 characters): ");
    }
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .context("reading the password from standard input")?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

fn add_staff(args: AddStaffArgs) -> anyhow::Result<()> {
    use linli_sync_server::store::{NewStaff, StaffStore};
    let password = staff_password()?;
    let config = Config::load(
        args.config.as_deref(),
        Overrides {
            listen: None,
            db: args.db,
        },
    )?;
    let store = SqliteStore::open(&config.db)
        .with_context(|| format!("opening {}", config.db.display()))?;
    let runtime = tokio::runtime::Runtime::new()?;
    let id = runtime.block_on(store.create_staff(
        NewStaff {
            username: args.username.clone(),
            name: args.name,
            role: args.role,
            password,
        },
        linli_sync_server::store::Actor::command_line(),
    ))?;
    tracing::info!(%id, username = %args.username, role = args.role.as_str(), "staff account created");
    println!("{id}");
    Ok(())
}
