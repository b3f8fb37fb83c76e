//! kill -9 a syncing counter (a real `device-sim` process) at random instants: while
//! it first receives the day, while it hands over and pushes, while it takes
//! acknowledgements. After each kill the replica opens, passes `PRAGMA
//! integrity_check` and holds every acknowledged handover; at the end one more run
//! brings the server every one of them, booked once.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use linli_core::replica::{OrderList, Replica};
use linli_core::time::Millis;
use linli_sync_server::store::{ConsumerOrderStatus, ConsumerStore, Store};
use linli_tests::net::{self, Server};
use rand::Rng;

/// Devices (fresh replicas), each handing over its own orders over several runs.
const DEVICES: usize = 5;
const ORDERS_PER_DEVICE: usize = 30;
/// Milliseconds within which the first kill on a device lands.
const FIRST_WINDOW: u64 = 600;

fn trials() -> usize {
    std::env::var("LINLI_CRASH_TRIALS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50)
}

/// Runs the device until killed at a random instant (or until it has synced
/// everything); returns the acknowledged order ids and, if it finished, how long
/// the run took.
fn run_once(
    bin: &str,
    replica: &Path,
    url: &str,
    day: &str,
    codes: &Path,
    kill_after: Duration,
) -> (Vec<String>, Option<Duration>) {
    let started = Instant::now();
    let mut child = Command::new(bin)
        .arg(replica)
        .arg(url)
        .arg(day)
        .arg(codes)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start device-sim");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + kill_after;
    let mut acked = Vec::new();
    let mut synced = None;
    while Instant::now() < deadline && synced.is_none() {
        match rx.recv_timeout(Duration::from_millis(1)) {
            Ok(l) if l == "SYNCED" => synced = Some(started.elapsed()),
            Ok(l) => {
                if let Some(id) = l.strip_prefix("ACK ") {
                    acked.push(id.to_string());
                }
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    // SIGKILL: no destructor, no flush, no close.
    let _ = child.kill();
    let _ = child.wait();
    let _ = reader.join();
    while let Ok(l) = rx.try_recv() {
        if let Some(id) = l.strip_prefix("ACK ") {
            acked.push(id.to_string());
        }
    }
    (acked, synced)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_mid_sync_a_counter_loses_nothing_it_acknowledged() {
    net::init_tracing();
    let bin = env!("CARGO_BIN_EXE_device-sim");
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await.unwrap();
    let w = net::world(&server.store).await.unwrap();
    let mut day = String::new();
    let mut codes = Vec::new();
    let mut orders: Vec<BTreeSet<String>> = Vec::new();
    for d in 0..DEVICES {
        let mut mine = Vec::new();
        let mut ids = BTreeSet::new();
        for i in 0..ORDERS_PER_DEVICE {
            let o = net::place(
                &server.store,
                &w,
                w.point,
                &format!("o-{d}-{i}"),
                Millis::now(),
            )
            .await
            .unwrap();
            day = o.day.clone();
            mine.push(o.code);
            ids.insert(o.id.to_string());
        }
        orders.push(ids);
        let path = dir.path().join(format!("codes-{d}.txt"));
        std::fs::write(&path, mine.join("\n")).unwrap();
        codes.push(path);
    }
    server
        .store
        .run_cutoff(w.region.clone(), day.clone(), Millis::now())
        .await
        .unwrap();

    let trials = trials();
    let per_device = trials.div_ceil(DEVICES);
    let mut acked: BTreeSet<String> = BTreeSet::new();
    let mut rng = rand::thread_rng();
    let mut killed = 0;
    for d in 0..DEVICES {
        let path = dir.path().join(format!("device-{d}.sqlite3"));
        // Enrolled once, here; every run after that is the device process.
        drop(
            net::enrolled_replica(&server, w.point, &path, &format!("D{d}"))
                .await
                .unwrap(),
        );
        let mut mine: BTreeSet<String> = BTreeSet::new();
        // Kills are drawn within the last finished run's time on this machine: a
        // fixed window let a fast machine finish every run before the kill, and
        // each run after the first has less left to do.
        let mut window = FIRST_WINDOW;
        for _ in 0..per_device {
            let kill_after = Duration::from_millis(rng.gen_range(1..=window));
            let (run_acked, finished) = tokio::task::block_in_place(|| {
                run_once(bin, &path, &server.url(), &day, &codes[d], kill_after)
            });
            match finished {
                Some(took) => window = (took.as_millis() as u64).max(2),
                None => killed += 1,
            }
            mine.extend(run_acked);
            let replica = Replica::open(&path).unwrap();
            assert_eq!(replica.integrity_check().unwrap(), vec!["ok".to_string()]);
            let picked: BTreeSet<String> = replica
                .list_orders(OrderList::PickedUp, None, 10_000)
                .unwrap()
                .into_iter()
                .map(|o| o.id.to_string())
                .collect();
            let lost: Vec<_> = mine.difference(&picked).collect();
            assert!(lost.is_empty(), "acknowledged handovers lost: {lost:?}");
        }
        // A last, uninterrupted run: everything reaches the server.
        let (last, finished) = tokio::task::block_in_place(|| {
            run_once(bin, &path, &server.url(), &day, &codes[d], net::PATIENCE)
        });
        assert!(finished.is_some(), "device {d} did not finish syncing");
        mine.extend(last);
        // A kill between the commit and the ACK line leaves a handover done but
        // not acknowledged; the finished run then went through every code.
        let picked: BTreeSet<String> = Replica::open(&path)
            .unwrap()
            .list_orders(OrderList::PickedUp, None, 10_000)
            .unwrap()
            .into_iter()
            .map(|o| o.id.to_string())
            .collect();
        assert!(
            orders[d].is_subset(&picked),
            "device {d}: not every order handed over"
        );
        assert!(mine.is_subset(&orders[d]));
        acked.extend(orders[d].iter().cloned());
    }
    eprintln!(
        "{killed} of {} runs killed before they finished",
        per_device * DEVICES
    );
    assert!(
        killed * 4 > per_device * DEVICES,
        "only {killed} of {} runs were killed before they finished",
        per_device * DEVICES
    );
    // Every order of every device (each acknowledged one included) on the server.
    for id in &acked {
        let s = server
            .store
            .consumer_order(w.buyer, id.parse().unwrap())
            .await
            .unwrap()
            .status;
        assert_eq!(s, ConsumerOrderStatus::PickedUp, "order {id}");
    }
    let exceptions: i64 = server
        .db()
        .unwrap()
        .query_row("SELECT count(*) FROM ledger_exceptions", [], |r| r.get(0))
        .unwrap_or(0);
    assert_eq!(
        exceptions, 0,
        "a handover was booked twice or on a void order"
    );
    let _ = server.store.health().await;
}
