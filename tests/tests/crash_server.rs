//! kill -9 the sync server (a real `server-proc` process on the same database file)
//! at random instants while a counter (a real `device-sim` process) hands over and
//! pushes, then start it again on the same file and port. The counter's sync loop
//! reconnects by itself; in the end the server's file passes `PRAGMA
//! integrity_check` and holds every handover the counter made, each booked once.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use linli_core::replica::{OrderList, Replica};
use linli_core::time::Millis;
use linli_sync_server::store::{ConsumerOrderStatus, ConsumerStore, SqliteStore, Store};
use linli_tests::net::{self, Server};
use rand::Rng;

const ORDERS: usize = 400;

fn restarts() -> usize {
    std::env::var("LINLI_SERVER_CRASH_TRIALS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20)
}

/// Starts the server process and waits until it listens.
fn start_server(db: &Path, addr: &str) -> Child {
    let mut child = Command::new(env!("CARGO_BIN_EXE_server-proc"))
        .arg(db)
        .arg(addr)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start server-proc");
    let stdout = child.stdout.take().expect("stdout");
    let mut first = String::new();
    BufReader::new(stdout)
        .read_line(&mut first)
        .expect("server-proc output");
    assert_eq!(first.trim(), "LISTENING", "server-proc did not start");
    child
}

fn kill(mut child: Child) {
    // SIGKILL: no destructor, no flush, no close.
    let _ = child.kill();
    let _ = child.wait();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_mid_sync_comes_back_with_every_handover() {
    net::init_tracing();
    let dir = tempfile::tempdir().unwrap();
    // The platform's day, set up through the store in this process, then closed:
    // from here on only the server process has the file open for writing.
    let server = Server::start(dir.path()).await.unwrap();
    let w = net::world(&server.store).await.unwrap();
    let (mut day, mut codes, mut ids) = (String::new(), Vec::new(), BTreeSet::new());
    for i in 0..ORDERS {
        let o = net::place(&server.store, &w, w.point, &format!("o-{i}"), Millis::now())
            .await
            .unwrap();
        day = o.day.clone();
        codes.push(o.code);
        ids.insert(o.id.to_string());
    }
    server
        .store
        .run_cutoff(w.region.clone(), day.clone(), Millis::now())
        .await
        .unwrap();
    let replica = dir.path().join("device.sqlite3");
    drop(
        net::enrolled_replica(&server, w.point, &replica, "D")
            .await
            .unwrap(),
    );
    let db = server.db.clone();
    server.stop_listening();
    drop(server);
    let codes_file = dir.path().join("codes.txt");
    std::fs::write(&codes_file, codes.join("\n")).unwrap();

    // A free port, kept for every restart so the counter's address stays the same.
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .to_string();
    let mut srv = start_server(&db, &addr);
    let mut device = Command::new(env!("CARGO_BIN_EXE_device-sim"))
        .arg(&replica)
        .arg(format!("http://{addr}"))
        .arg(&day)
        .arg(&codes_file)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start device-sim");
    let (tx, rx) = mpsc::channel();
    let out = device.stdout.take().expect("stdout");
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });

    let mut rng = rand::thread_rng();
    let mut acked = BTreeSet::new();
    let mut synced = false;
    let take = |rx: &mpsc::Receiver<String>, wait: Duration, acked: &mut BTreeSet<String>| {
        let until = Instant::now() + wait;
        while Instant::now() < until {
            match rx.recv_timeout(Duration::from_millis(1)) {
                Ok(l) if l == "SYNCED" => return true,
                Ok(l) => {
                    if let Some(id) = l.strip_prefix("ACK ") {
                        acked.insert(id.to_string());
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
        }
        false
    };
    let restarts = restarts();
    // Kills that found the counter still with handovers to make or to push.
    let mut mid_sync = 0;
    for _ in 0..restarts {
        let up = Duration::from_millis(rng.gen_range(10..200));
        synced |= tokio::task::block_in_place(|| take(&rx, up, &mut acked));
        mid_sync += usize::from(!synced);
        kill(srv);
        // Down for a moment: the counter keeps handing over, offline.
        let down = Duration::from_millis(rng.gen_range(0..150));
        synced |= tokio::task::block_in_place(|| take(&rx, down, &mut acked));
        srv = start_server(&db, &addr);
    }
    // Up for good: the counter reconnects and brings the server everything.
    if !synced {
        synced = tokio::task::block_in_place(|| take(&rx, net::PATIENCE, &mut acked));
    }
    kill(device);
    let _ = reader.join();
    kill(srv);
    assert!(
        synced,
        "the counter never finished syncing after the restarts"
    );
    eprintln!(
        "{restarts} server kills, {mid_sync} of them before the counter had synced everything"
    );
    assert!(mid_sync > 0, "every kill came after the sync was over");

    let conn = rusqlite::Connection::open(&db).unwrap();
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    let handed: BTreeSet<String> = Replica::open(&replica)
        .unwrap()
        .list_orders(OrderList::PickedUp, None, 10_000)
        .unwrap()
        .into_iter()
        .map(|o| o.id.to_string())
        .collect();
    assert!(acked.is_subset(&handed), "the counter lost a handover");
    assert_eq!(handed, ids, "the counter did not hand over every order");
    let store = SqliteStore::open(&db).unwrap();
    for id in &handed {
        let status = store
            .consumer_order(w.buyer, id.parse().unwrap())
            .await
            .unwrap()
            .status;
        assert_eq!(status, ConsumerOrderStatus::PickedUp, "order {id}");
    }
    let exceptions: i64 = conn
        .query_row("SELECT count(*) FROM ledger_exceptions", [], |r| r.get(0))
        .unwrap();
    assert_eq!(exceptions, 0, "a handover was booked twice");
    let accruals: i64 = conn
        .query_row(
            "SELECT count(DISTINCT order_id) FROM ledger_entries WHERE kind = 'accrual'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        accruals as usize, ORDERS,
        "every handover accrues commission once"
    );
}
