//! The pickup rule: may this order's goods be handed over now? One rule, used by
//! the counter's replica and by the server alike, with the plain reason when not.

use serde::Serialize;

use crate::ids::DeviceId;
use crate::lang::Lang;
use crate::order::OrderFacts;
use crate::pickup_code::CodeFormatError;
use crate::status::{OrderStatus, OrderView};
use crate::time::Millis;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum PickupRefusal {
    #[error("{0}")]
    Malformed(#[serde(serialize_with = "display")] CodeFormatError),
    #[error("no order at this point has this pickup code")]
    Unknown,
    #[error("this code belongs to another pickup point")]
    OtherPoint,
    #[error("already picked up at {} on device {}", at.china_clock(), short_device(device))]
    AlreadyPickedUp { at: Millis, device: DeviceId },
    #[error("the order was cancelled at {}", at.china_clock())]
    Cancelled { at: Millis },
    #[error("the order was refunded at {}", at.china_clock())]
    Refunded { at: Millis },
    #[error("the goods have not arrived yet: the delivery is not accepted")]
    NotArrived,
    #[error("nothing is left to hand over: the delivery was short for every line")]
    NothingDue,
}

fn display<S: serde::Serializer, T: std::fmt::Display>(v: &T, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&v.to_string())
}

impl PickupRefusal {
    /// The sentence the counter shows. Device ids are shortened to their last 6
    /// characters, which is what the device list in settings shows too.
    pub fn message(&self, lang: Lang) -> String {
        match lang {
            Lang::En => self.to_string(),
            Lang::ZhCn => match self {
                PickupRefusal::Malformed(CodeFormatError::Empty) => "请输入提货码".into(),
                PickupRefusal::Malformed(CodeFormatError::WrongLength(_, n)) => {
                    format!("提货码应为7位数字，您输入了{n}位")
                }
                PickupRefusal::Malformed(CodeFormatError::NotDigits(_)) => {
                    "提货码只能包含数字".into()
                }
                PickupRefusal::Unknown => "本自提点没有这个提货码的订单".into(),
                PickupRefusal::OtherPoint => "该提货码属于其他自提点".into(),
                PickupRefusal::AlreadyPickedUp { at, device } => format!(
                    "已于 {} 在设备 {} 提货",
                    at.china_clock(),
                    short_device(device)
                ),
                PickupRefusal::Cancelled { at } => {
                    format!("订单已于 {} 取消", at.china_clock())
                }
                PickupRefusal::Refunded { at } => {
                    format!("订单已于 {} 退款", at.china_clock())
                }
                PickupRefusal::NotArrived => "商品尚未到货：本点还未验收今日配送".into(),
                PickupRefusal::NothingDue => "到货短缺，该订单没有可提的商品".into(),
            },
        }
    }
}

pub fn short_device(d: &DeviceId) -> String {
    let s = d.to_string();
    s[s.len() - 6..].to_string()
}

/// What the pickup rule needs to know of an order: read from the derived view on
/// the server, from the projected row on a device, so both apply the same rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PickupState {
    pub status: OrderStatus,
    pub cancelled_at: Option<Millis>,
    pub refunded_at: Option<Millis>,
    /// The latest handover, if any: when and on which device.
    pub last_handover: Option<(Millis, DeviceId)>,
    /// Units still to hand over, over all lines.
    pub due_units: u32,
}

impl PickupState {
    pub fn of(order: &OrderFacts, view: &OrderView) -> Self {
        PickupState {
            status: view.status,
            cancelled_at: order.cancelled_at,
            refunded_at: order.refunded_at,
            last_handover: view.handovers.last().map(|h| (h.at, h.device)),
            due_units: view.due.values().sum(),
        }
    }
}

/// May the order be handed over now?
pub fn check_pickup(s: &PickupState) -> Result<(), PickupRefusal> {
    if let Some(at) = s.refunded_at {
        return Err(PickupRefusal::Refunded { at });
    }
    if let Some(at) = s.cancelled_at {
        return Err(PickupRefusal::Cancelled { at });
    }
    match (s.status, s.last_handover) {
        (OrderStatus::PickedUp, Some((at, device))) => {
            Err(PickupRefusal::AlreadyPickedUp { at, device })
        }
        (OrderStatus::AwaitingDelivery, _) => Err(PickupRefusal::NotArrived),
        _ if s.due_units == 0 => Err(PickupRefusal::NothingDue),
        _ => Ok(()),
    }
}
