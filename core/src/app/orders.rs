//! Orders (订单): to pick up, picked up, conflicts; search by phone tail, name or
//! order number; orders still waiting after N days are flagged.

use serde::{Deserialize, Serialize};

use super::{china_day, days_between, AppError};
use crate::replica::{OrderList, OrderRow, Replica};
use crate::status::OrderStatus;
use crate::time::Millis;

/// Orders waiting this many days after their delivery day are flagged by default.
pub const DEFAULT_OVERDUE_DAYS: u32 = 3;
/// A list shows at most this many rows; search narrows it.
pub const LIST_LIMIT: u32 = 200;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum OrdersTab {
    ToPickUp,
    PickedUp,
    Conflicts,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderListRow {
    #[serde(flatten)]
    pub order: OrderRow,
    /// Days since its delivery day, for an order not yet (fully) collected.
    pub waiting_days: Option<i64>,
    pub overdue: bool,
}

pub fn list(
    replica: &Replica,
    tab: OrdersTab,
    search: &str,
    overdue_after: u32,
    now: Millis,
) -> Result<Vec<OrderListRow>, AppError> {
    let list = match tab {
        OrdersTab::ToPickUp => OrderList::ToPickUp,
        OrdersTab::PickedUp => OrderList::PickedUp,
        OrdersTab::Conflicts => OrderList::Conflicts,
    };
    let today = china_day(now);
    let rows = replica.list_orders(list, Some(search), LIST_LIMIT)?;
    Ok(rows
        .into_iter()
        .map(|order| {
            let waiting = matches!(
                order.status,
                OrderStatus::ReadyForPickup | OrderStatus::PartlyPickedUp
            );
            let waiting_days = if waiting {
                days_between(&order.day, &today)
            } else {
                None
            };
            let overdue = waiting_days.is_some_and(|d| d >= i64::from(overdue_after));
            OrderListRow {
                order,
                waiting_days,
                overdue,
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::conflicts::tests::{seeded, DAY};

    #[test]
    fn orders_still_waiting_after_n_days_are_overdue() {
        let dir = tempfile::tempdir().unwrap();
        let mut replica = seeded(&dir.path().join("replica.sqlite3"));
        replica.accept_delivery(DAY).unwrap();
        // 04:00 in Beijing, `days` after the delivery day.
        let at = |days: i64| Millis(1_795_276_800_000 + 4 * 3_600_000 + days * 86_400_000);
        assert_eq!(china_day(at(0)), DAY);
        let rows = |days, n| list(&replica, OrdersTab::ToPickUp, "", n, at(days)).unwrap();
        assert!(rows(2, 3)
            .iter()
            .all(|r| r.waiting_days == Some(2) && !r.overdue));
        assert!(rows(3, 3).iter().all(|r| r.overdue));
        assert!(
            rows(1, 1).iter().all(|r| r.overdue),
            "N comes from the caller (Settings)"
        );
        assert_eq!(rows(3, 3).len(), 4);
    }
}
