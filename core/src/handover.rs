//! The handover (核销): goods given to the consumer, the code spent. A handover names
//! the lines and quantities given, so a partial handover is simply fewer lines.

use std::collections::BTreeMap;

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

use crate::counter::{CodeMethod, CounterStamp};
use crate::ids::{OrderId, SkuId};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct HandoverLine {
    pub sku: SkuId,
    pub qty: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct Handover {
    pub order: OrderId,
    pub lines: Vec<HandoverLine>,
    pub method: CodeMethod,
    pub stamp: CounterStamp,
}

/// What a leader asks to hand over: everything still due, or some lines.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum HandoverRequest {
    Whole,
    Lines(Vec<HandoverLine>),
}

/// Why a requested partial handover does not fit the order.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HandoverLineError {
    #[error("nothing is left to hand over for this order")]
    NothingLeft,
    #[error("no line was chosen to hand over")]
    NoLinesChosen,
    #[error("this order has no line for the chosen SKU")]
    NotInOrder(SkuId),
    #[error("a quantity of 0 cannot be handed over")]
    ZeroQuantity(SkuId),
    #[error("{asked} asked but only {left} left to hand over on this line")]
    MoreThanLeft { sku: SkuId, asked: u32, left: u32 },
    #[error("the same line was chosen twice")]
    Repeated(SkuId),
}

/// The lines a handover will record, checked against what is still due per SKU.
pub fn plan_lines(
    due: &BTreeMap<SkuId, u32>,
    request: &HandoverRequest,
) -> Result<Vec<HandoverLine>, HandoverLineError> {
    let lines: Vec<HandoverLine> = match request {
        HandoverRequest::Whole => due
            .iter()
            .filter(|(_, q)| **q > 0)
            .map(|(sku, qty)| HandoverLine {
                sku: *sku,
                qty: *qty,
            })
            .collect(),
        HandoverRequest::Lines(chosen) => {
            if chosen.is_empty() {
                return Err(HandoverLineError::NoLinesChosen);
            }
            for (i, l) in chosen.iter().enumerate() {
                if chosen[..i].iter().any(|o| o.sku == l.sku) {
                    return Err(HandoverLineError::Repeated(l.sku));
                }
                let left = *due
                    .get(&l.sku)
                    .ok_or(HandoverLineError::NotInOrder(l.sku))?;
                if l.qty == 0 {
                    return Err(HandoverLineError::ZeroQuantity(l.sku));
                }
                if l.qty > left {
                    return Err(HandoverLineError::MoreThanLeft {
                        sku: l.sku,
                        asked: l.qty,
                        left,
                    });
                }
            }
            chosen.clone()
        }
    };
    if lines.is_empty() {
        return Err(HandoverLineError::NothingLeft);
    }
    Ok(lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_takes_everything_due_and_partial_is_checked() {
        let (a, b) = (SkuId::new(), SkuId::new());
        let due = BTreeMap::from([(a, 2), (b, 0)]);
        assert_eq!(
            plan_lines(&due, &HandoverRequest::Whole),
            Ok(vec![HandoverLine { sku: a, qty: 2 }])
        );
        let ask = |sku, qty| HandoverRequest::Lines(vec![HandoverLine { sku, qty }]);
        assert_eq!(
            plan_lines(&due, &ask(a, 3)),
            Err(HandoverLineError::MoreThanLeft {
                sku: a,
                asked: 3,
                left: 2
            })
        );
        assert_eq!(
            plan_lines(&due, &ask(a, 0)),
            Err(HandoverLineError::ZeroQuantity(a))
        );
        let other = SkuId::new();
        assert_eq!(
            plan_lines(&due, &ask(other, 1)),
            Err(HandoverLineError::NotInOrder(other))
        );
        assert_eq!(
            plan_lines(&BTreeMap::from([(a, 0)]), &HandoverRequest::Whole),
            Err(HandoverLineError::NothingLeft)
        );
        assert_eq!(
            plan_lines(&due, &HandoverRequest::Lines(vec![])),
            Err(HandoverLineError::NoLinesChosen)
        );
    }
}
