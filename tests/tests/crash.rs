//! kill -9 a counter at random instants while it writes: the replica must open,
//! pass `PRAGMA integrity_check`, and hold every handover it acknowledged.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use linli_core::replica::{OrderList, Replica};
use linli_tests::torture;
use rand::Rng;

const ORDERS: usize = 150;

fn trials() -> usize {
    std::env::var("LINLI_CRASH_TRIALS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50)
}

#[test]
fn killed_at_random_instants_the_replica_keeps_every_acknowledged_handover() {
    let bin = env!("CARGO_BIN_EXE_counter-torture");
    let mut rng = rand::thread_rng();
    let dir = tempfile::tempdir().unwrap();
    // Kills are drawn within the time the run has work for, measured on this
    // machine (a fixed window let a fast machine finish most runs before the kill):
    // a whole run on a fresh file, a run with nothing left on the same file, and in
    // between in proportion to the handovers left.
    let calibration = dir.path().join("calibration.sqlite3");
    let timed_run = || {
        let t = Instant::now();
        let status = Command::new(bin)
            .arg(&calibration)
            .arg(ORDERS.to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success(), "a calibration run failed");
        t.elapsed().as_millis() as u64
    };
    let whole_run = timed_run().max(20);
    let idle_run = timed_run().clamp(2, whole_run);
    let window_for = |left: usize| idle_run + (whole_run - idle_run) * left as u64 / ORDERS as u64;
    let mut killed_mid_run = 0;
    let mut left = ORDERS;
    for trial in 0..trials() {
        if trial % 4 == 0 {
            left = ORDERS;
        }
        // A fresh file every fourth trial so kills also land during the first import.
        let path = dir.path().join(format!("replica-{}.sqlite3", trial / 4));
        let mut child = Command::new(bin)
            .arg(&path)
            .arg(ORDERS.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let deadline = Instant::now() + Duration::from_millis(rng.gen_range(1..=window_for(left)));
        let mut acked = Vec::new();
        let mut done = false;
        while Instant::now() < deadline {
            match rx.recv_timeout(Duration::from_millis(1)) {
                Ok(l) if l == "DONE" => {
                    done = true;
                    break;
                }
                Ok(l) => {
                    if let Some(id) = l.strip_prefix("ACK ") {
                        acked.push(id.to_string());
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
        }
        // SIGKILL: no destructor, no flush, no SQLite close.
        let _ = child.kill();
        let _ = child.wait();
        reader.join().unwrap();
        // Lines already written before the kill are acknowledgements too.
        acked.extend(
            rx.try_iter()
                .filter_map(|l| l.strip_prefix("ACK ").map(String::from)),
        );
        if !done {
            killed_mid_run += 1;
        }

        let replica = Replica::open(&path).unwrap();
        assert_eq!(
            replica.integrity_check().unwrap(),
            vec!["ok".to_string()],
            "trial {trial}"
        );
        if replica.identity().is_none() {
            assert!(acked.is_empty());
            continue;
        }
        let picked: Vec<String> = replica
            .list_orders(OrderList::PickedUp, None, 10_000)
            .unwrap()
            .into_iter()
            .map(|r| r.id.to_string())
            .collect();
        left = ORDERS - picked.len().min(ORDERS);
        for id in &acked {
            assert!(
                picked.contains(id),
                "trial {trial}: acknowledged handover of {id} lost"
            );
        }
        // The projection agrees with the document it came from.
        let mut replica = replica;
        if let Ok(facts) = replica.day_facts(torture::DAY) {
            let in_doc: std::collections::BTreeSet<String> = facts
                .handovers
                .values()
                .map(|h| h.order.to_string())
                .collect();
            let in_rows: std::collections::BTreeSet<String> = picked.iter().cloned().collect();
            assert_eq!(in_doc, in_rows, "trial {trial}");
        }
        for (key, r) in replica.check_documents().unwrap() {
            assert!(r.is_ok(), "trial {trial}: document {key} unreadable: {r:?}");
        }
    }
    eprintln!(
        "{killed_mid_run} of {} kills mid-run; a whole run {whole_run} ms, one with nothing left {idle_run} ms",
        trials()
    );
    assert!(
        killed_mid_run * 2 > trials(),
        "only {killed_mid_run} of {} kills landed mid-run (a whole run {whole_run} ms, one with nothing left {idle_run} ms)",
        trials()
    );
}
