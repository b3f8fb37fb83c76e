//! A counter that works as fast as it can so a test can kill -9 it at any instant.
//! It prints `ACK <order id>` only after a handover has returned `Ok`, i.e. after
//! it is on disk; the test then checks that every acknowledged handover survived.
//!
//! Usage: counter-torture REPLICA_PATH ORDERS

use std::io::Write;
use std::path::PathBuf;

use anyhow::{bail, Context};
use linli_core::counter::CodeMethod;
use linli_core::handover::HandoverRequest;
use linli_core::replica::{Replica, ReplicaError};
use linli_tests::torture;

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let (Some(path), Some(n)) = (args.next(), args.next()) else {
        bail!("usage: counter-torture REPLICA_PATH ORDERS");
    };
    let n: usize = n.parse().context("ORDERS must be a number")?;
    let mut replica = Replica::open(&PathBuf::from(path))?;
    let orders = torture::orders(n);
    if replica.identity().is_none() {
        replica.enroll(torture::identity())?;
    }
    if replica.accepted_at(torture::DAY)?.is_none() {
        replica.import_document(&torture::day_doc(&orders)?.save())?;
        replica.accept_delivery(torture::DAY)?;
    }
    let mut out = std::io::stdout().lock();
    writeln!(out, "READY")?;
    out.flush()?;
    for o in &orders {
        match replica.hand_over(&o.code, None, &HandoverRequest::Whole, CodeMethod::Typed) {
            Ok(r) => {
                writeln!(out, "ACK {}", r.order)?;
                out.flush()?;
            }
            // Handed over in an earlier run.
            Err(ReplicaError::Pickup(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    writeln!(out, "DONE")?;
    Ok(())
}
