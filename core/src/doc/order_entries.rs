//! How an order sits in the point-day document, written and read in one place.
//!
//! An order is a map under `orders/<order id>`:
//! - `placed`: the facts fixed when it was placed (number, consumer, lines, amount,
//!   code digest) as one JSON string. An order never changes once placed (a change is
//!   a new order), so one value instead of a field each: two automerge operations per
//!   new order instead of eleven. The server's per-order write and every load of a day
//!   scale with the number of operations (docs/decisions/0009).
//! - `cancelled_at`, `refunded_at`: milliseconds, present once it happened. These do
//!   change, so they stay fields of their own and merge as such.
//!
//! Reading walks each order's map once with `map_range`: looking each field up by key
//! seeks through automerge's columns again for every field.

use std::collections::BTreeMap;

use automerge::{ObjId, ObjType, ReadDoc, ScalarValueRef, ValueRef};
use autosurgeon::reconcile::{MapReconciler, NoKey};
use autosurgeon::{Hydrate, HydrateError, Reconcile, Reconciler};
use serde::{Deserialize, Serialize};

use crate::ids::OrderId;
use crate::money::Fen;
use crate::order::{OrderFacts, OrderLine};
use crate::pickup_code::CodeDigest;
use crate::time::Millis;

/// The `placed` JSON. Its field names are part of the document format.
#[derive(Serialize, Deserialize)]
struct Placed {
    number: String,
    consumer_name: String,
    phone_tail: String,
    placed_at: i64,
    lines: Vec<OrderLine>,
    paid: i64,
    /// Hex, 32 characters.
    code_digest: String,
}

impl Reconcile for OrderFacts {
    type Key<'a> = NoKey;

    fn reconcile<R: Reconciler>(&self, mut r: R) -> Result<(), R::Error> {
        let placed = Placed {
            number: self.number.clone(),
            consumer_name: self.consumer_name.clone(),
            phone_tail: self.phone_tail.clone(),
            placed_at: self.placed_at.0,
            lines: self.lines.clone(),
            paid: self.paid.0,
            code_digest: hex::encode(self.code_digest.0),
        };
        // Serialising plain data with string keys cannot fail.
        let json = serde_json::to_string(&placed).unwrap_or_default();
        let mut m = r.map()?;
        m.put("placed", json)?;
        // Cancellation and refund never un-happen: an absent time is not written.
        if let Some(at) = self.cancelled_at {
            m.put("cancelled_at", at)?;
        }
        if let Some(at) = self.refunded_at {
            m.put("refunded_at", at)?;
        }
        Ok(())
    }
}

/// Every order under `orders`, keyed by id.
pub(super) fn read_orders<D: ReadDoc>(
    doc: &D,
    orders: &ObjId,
) -> Result<BTreeMap<OrderId, OrderFacts>, HydrateError> {
    let mut out = BTreeMap::new();
    for entry in doc.map_range(orders, ..) {
        let id: OrderId = entry.key.parse().map_err(|_| {
            HydrateError::unexpected("an order id as the key", entry.key.to_string())
        })?;
        let ValueRef::Object(ObjType::Map) = entry.value else {
            return Err(HydrateError::unexpected(
                "a map for each order",
                format!("{:?} under {id}", entry.value),
            ));
        };
        out.insert(id, read_order(doc, &entry.id(), id)?);
    }
    Ok(out)
}

/// One order's map, `obj`, stored under `id`.
pub(super) fn read_order<D: ReadDoc>(
    doc: &D,
    obj: &ObjId,
    id: OrderId,
) -> Result<OrderFacts, HydrateError> {
    let mut placed = None;
    let mut cancelled_at = None;
    let mut refunded_at = None;
    for field in doc.map_range(obj, ..) {
        let ValueRef::Scalar(v) = &field.value else {
            return Err(HydrateError::unexpected(
                "a scalar order field",
                format!("an object under '{}' of order {id}", field.key),
            ));
        };
        match field.key.as_ref() {
            "placed" => match v {
                ScalarValueRef::Str(json) => {
                    placed = Some(serde_json::from_str::<Placed>(json).map_err(|e| {
                        HydrateError::unexpected("the placed order as JSON", e.to_string())
                    })?)
                }
                other => {
                    return Err(HydrateError::unexpected(
                        "the placed order as a JSON string",
                        format!("{other:?} in order {id}"),
                    ))
                }
            },
            "cancelled_at" => cancelled_at = time(v)?,
            "refunded_at" => refunded_at = time(v)?,
            // A field a newer server added: ignored, as autosurgeon would.
            _ => {}
        }
    }
    let p = placed.ok_or_else(|| {
        HydrateError::unexpected("a 'placed' field", format!("none in order {id}"))
    })?;
    let digest = hex::decode(&p.code_digest)
        .map_err(|e| HydrateError::unexpected("a hex code digest", e.to_string()))?;
    Ok(OrderFacts {
        id,
        number: p.number,
        consumer_name: p.consumer_name,
        phone_tail: p.phone_tail,
        placed_at: Millis(p.placed_at),
        lines: p.lines,
        paid: Fen(p.paid),
        code_digest: CodeDigest::hydrate_bytes(&digest)?,
        cancelled_at,
        refunded_at,
    })
}

/// A time field: milliseconds (autosurgeon writes an `i64` as `Int`), or `null`
/// for "not yet" from documents that wrote one.
fn time(v: &ScalarValueRef<'_>) -> Result<Option<Millis>, HydrateError> {
    match v {
        ScalarValueRef::Null => Ok(None),
        ScalarValueRef::Int(i) => Millis::hydrate_int(*i).map(Some),
        other => Err(HydrateError::unexpected(
            "milliseconds",
            format!("{other:?}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use automerge::transaction::Transactable;
    use automerge::{AutoCommit, ROOT};
    use autosurgeon::reconcile_prop;
    use proptest::prelude::*;

    use super::*;
    use crate::demo::{sample_orders, SampleCatalog};
    use crate::pickup_code::CodeKey;

    fn orders(n: usize, seed: u64) -> Vec<OrderFacts> {
        let key = CodeKey::from_bytes([seed as u8; 32]);
        sample_orders(&SampleCatalog::new(2), &key, Millis(1_000), n, seed)
            .into_iter()
            .map(|o| o.facts)
            .collect()
    }

    fn doc_with(orders: &[OrderFacts]) -> (AutoCommit, ObjId) {
        let mut doc = AutoCommit::new();
        let obj = doc
            .put_object(ROOT, "orders", ObjType::Map)
            .expect("orders map");
        for o in orders {
            reconcile_prop(&mut doc, &obj, o.id.to_string().as_str(), o).expect("reconcile");
        }
        (doc, obj)
    }

    fn order_obj(doc: &AutoCommit, orders: &ObjId, id: OrderId) -> ObjId {
        match doc.get(orders, id.to_string()).expect("get") {
            Some((_, obj)) => obj,
            None => panic!("no order {id}"),
        }
    }

    proptest! {
        #[test]
        fn what_is_written_reads_back_the_same(
            n in 0usize..30,
            seed in any::<u64>(),
            cancel_every in 1usize..5,
            refund_every in 1usize..7,
        ) {
            let mut orders = orders(n, seed);
            for (i, o) in orders.iter_mut().enumerate() {
                if i % cancel_every == 0 { o.cancelled_at = Some(Millis(i as i64)); }
                if i % refund_every == 0 { o.refunded_at = Some(Millis(7 + i as i64)); }
            }
            let (doc, obj) = doc_with(&orders);
            let read = read_orders(&doc, &obj).expect("read");
            let want: BTreeMap<OrderId, OrderFacts> =
                orders.into_iter().map(|o| (o.id, o)).collect();
            prop_assert_eq!(read, want);
        }
    }

    #[test]
    fn a_new_order_is_two_operations_and_writing_it_again_adds_none() {
        let order = orders(1, 9).remove(0);
        let mut doc = AutoCommit::new();
        let obj = doc
            .put_object(ROOT, "orders", ObjType::Map)
            .expect("orders map");
        let before = doc.stats().num_ops;
        reconcile_prop(&mut doc, &obj, order.id.to_string().as_str(), &order).expect("write");
        assert_eq!(doc.stats().num_ops - before, 2);
        reconcile_prop(&mut doc, &obj, order.id.to_string().as_str(), &order).expect("again");
        assert_eq!(doc.stats().num_ops - before, 2);
    }

    #[test]
    fn a_cancel_and_a_refund_made_apart_both_survive_the_merge() {
        let order = orders(1, 5).remove(0);
        let (mut a, obj) = doc_with(std::slice::from_ref(&order));
        let mut b = a.fork();
        let key = order.id.to_string();
        let mut cancelled = order.clone();
        cancelled.cancelled_at = Some(Millis(10));
        reconcile_prop(&mut a, &obj, key.as_str(), &cancelled).expect("cancel");
        let mut refunded = order.clone();
        refunded.refunded_at = Some(Millis(20));
        reconcile_prop(&mut b, &obj, key.as_str(), &refunded).expect("refund");
        a.merge(&mut b).expect("merge");
        let read = read_order(&a, &order_obj(&a, &obj, order.id), order.id).expect("read");
        assert_eq!(
            (read.cancelled_at, read.refunded_at),
            (Some(Millis(10)), Some(Millis(20)))
        );
    }

    #[test]
    fn a_missing_or_bad_placed_field_is_a_shape_error_naming_it() {
        let order = orders(1, 3).remove(0);
        let (mut doc, obj) = doc_with(std::slice::from_ref(&order));
        let entry = order_obj(&doc, &obj, order.id);
        doc.put(&entry, "placed", "{\"number\": 7}").expect("put");
        let err = read_orders(&doc, &obj).expect_err("bad JSON");
        assert!(err.to_string().contains("placed order as JSON"), "{err}");
        doc.put(&entry, "placed", vec![1u8, 2]).expect("put");
        assert!(read_orders(&doc, &obj).is_err());
        doc.delete(&entry, "placed").expect("delete");
        let err = read_orders(&doc, &obj).expect_err("missing");
        assert!(err.to_string().contains("'placed'"), "{err}");
    }

    #[test]
    fn a_time_that_is_not_milliseconds_is_refused() {
        let order = orders(1, 4).remove(0);
        let (mut doc, obj) = doc_with(std::slice::from_ref(&order));
        let entry = order_obj(&doc, &obj, order.id);
        doc.put(&entry, "cancelled_at", "yesterday").expect("put");
        assert!(read_orders(&doc, &obj).is_err());
    }
}
