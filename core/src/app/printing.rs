//! Printing (打印): the day's pick list, the delivery check sheet, bag labels and
//! the commission statement as PDF, saved beside the replica and, when a printer
//! is set, sent to CUPS with `lp`. A printer failure never loses the file.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Serialize;

use super::commission_report::{commission_report, total_lines};
use super::AppError;
use crate::bag_qr::BagQr;
use crate::ids::OrderId;
use crate::money::Fen;
use crate::print::{
    bag_labels, commission_statement, delivery_check_sheet, pick_list, BagLabel, CheckLine,
    CommissionKind, CommissionRow, CommissionStatement, DeliveryCheckSheet, PickList, PickListLine,
    PickListOrder, PickStatus, PrintFont,
};
use crate::replica::Replica;
use crate::status::OrderStatus;
use crate::sync::pull::LedgerEntryKind;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Printed {
    /// Where the PDF was saved.
    pub path: String,
    /// `None` when no printer is set; else the printer's answer.
    pub sent: Option<Result<String, AppError>>,
}

pub fn pick_list_pdf(
    replica: &Replica,
    font: &PrintFont,
    day: &str,
    point_name: &str,
) -> Result<Vec<u8>, AppError> {
    let orders = replica
        .day_orders(day)?
        .into_iter()
        .filter(|c| {
            !matches!(
                c.order.status,
                OrderStatus::Cancelled | OrderStatus::Refunded
            )
        })
        .map(|c| PickListOrder {
            number: c.order.number,
            consumer_name: c.order.consumer_name,
            phone_tail: c.order.phone_tail,
            status: if c.order.status == OrderStatus::PickedUp {
                PickStatus::PickedUp
            } else {
                PickStatus::ToPick
            },
            lines: c
                .lines
                .into_iter()
                .map(|l| PickListLine {
                    name: l.name,
                    qty: l.qty,
                })
                .collect(),
        })
        .collect();
    Ok(pick_list(
        font,
        &PickList {
            point_name: point_name.to_string(),
            date: day.to_string(),
            orders,
        },
    )?)
}

pub fn delivery_check_pdf(
    replica: &Replica,
    font: &PrintFont,
    day: &str,
    point_name: &str,
) -> Result<Vec<u8>, AppError> {
    let lines = replica
        .goods_summary(day)?
        .into_iter()
        .map(|l| CheckLine {
            name: l.name,
            expected: l.expected,
            received: l.received,
            damaged: l.damaged,
            note: l.note,
        })
        .collect();
    let leader = replica
        .identity()
        .map(|i| i.leader.clone())
        .unwrap_or_default();
    Ok(delivery_check_sheet(
        font,
        &DeliveryCheckSheet {
            point_name: point_name.to_string(),
            date: day.to_string(),
            leader,
            accepted_at: replica.accepted_at(day)?.map(|at| at.china_clock()),
            lines,
        },
    )?)
}

/// The leader's commission statement from the pulled ledger: every entry with its
/// signed amount, the Commission screen's totals (`commission_report`), and a note
/// when the ledger never came from the server or handovers await booking.
pub fn commission_statement_pdf(
    replica: &Replica,
    font: &PrintFont,
    point_name: &str,
) -> Result<Vec<u8>, AppError> {
    let report = commission_report(replica)?;
    let rows = report
        .rows
        .iter()
        .map(|r| CommissionRow {
            date: r.at.clone(),
            order_number: r.reference.clone(),
            amount: Fen(r.amount.0.saturating_abs()),
            kind: match r.kind {
                LedgerEntryKind::Accrual => CommissionKind::Accrued,
                LedgerEntryKind::Reversal => CommissionKind::Reversed,
                LedgerEntryKind::Settlement => CommissionKind::Settled,
                LedgerEntryKind::Withdrawal => CommissionKind::Withdrawn,
            },
        })
        .collect();
    let period = match (report.rows.first(), report.rows.last()) {
        (Some(first), Some(last)) => format!("{} 至 {}", day_of(&first.at), day_of(&last.at)),
        _ => String::new(),
    };
    let leader = replica
        .identity()
        .map(|i| i.leader.clone())
        .unwrap_or_default();
    Ok(commission_statement(
        font,
        &CommissionStatement {
            leader,
            point_name: point_name.to_string(),
            period,
            notes: report
                .notes
                .iter()
                .flat_map(|n| [n.zh.clone(), n.en.clone()])
                .collect(),
            rows,
            totals: Some(total_lines(&report.ledger.totals).to_vec()),
        },
    )?)
}

/// The date of a `YYYY-MM-DD HH:MM` time.
fn day_of(at: &str) -> &str {
    at.split(' ').next().unwrap_or(at)
}

/// Bag labels (袋标) for the day: one per order, for the orders still to pick up,
/// or exactly the orders in `only` when it is given. The QR names the order, not its
/// pickup code (`bag_qr`, decision 0012): the device holds no plain code, and a label
/// on an open shelf must not let anyone collect the bag.
pub fn bag_labels_pdf(
    replica: &Replica,
    font: &PrintFont,
    day: &str,
    point_name: &str,
    only: Option<&[OrderId]>,
) -> Result<Vec<u8>, AppError> {
    let orders = replica.day_orders(day)?;
    if let Some(wanted) = only {
        if let Some(missing) = wanted
            .iter()
            .find(|id| !orders.iter().any(|c| c.order.id == **id))
        {
            return Err(AppError::new(
                "no_such_order",
                format!("{day} 没有订单 {missing}，无法打印它的袋标"),
                format!("There is no order {missing} on {day}; its bag label cannot be printed"),
            ));
        }
    }
    let labels: Vec<BagLabel> = orders
        .into_iter()
        .filter(|c| match only {
            Some(wanted) => wanted.contains(&c.order.id),
            None => matches!(
                c.order.status,
                OrderStatus::AwaitingDelivery
                    | OrderStatus::ReadyForPickup
                    | OrderStatus::PartlyPickedUp
            ),
        })
        .map(|c| BagLabel {
            qr_payload: BagQr::new(c.order.id).encode(),
            order_number: c.order.number,
            consumer_name: c.order.consumer_name,
            phone_tail: c.order.phone_tail,
            point_name: point_name.to_string(),
            date: day.to_string(),
            items: c
                .lines
                .into_iter()
                .map(|l| format!("{} ×{}", l.name, l.qty))
                .collect(),
        })
        .collect();
    Ok(bag_labels(font, &labels)?)
}

/// Saves `pdf` as `dir/name.pdf`, then sends it to `printer` with `lp` if one is set.
pub fn save_and_send(
    dir: &Path,
    name: &str,
    pdf: &[u8],
    printer: Option<&str>,
) -> Result<Printed, AppError> {
    let io = |e: std::io::Error| {
        AppError::new(
            "print_save",
            format!("打印文件无法保存：{e}"),
            format!("The print file could not be saved: {e}"),
        )
    };
    std::fs::create_dir_all(dir).map_err(io)?;
    let path: PathBuf = dir.join(format!("{name}.pdf"));
    std::fs::write(&path, pdf).map_err(io)?;
    let sent = printer
        .filter(|p| !p.trim().is_empty())
        .map(|p| send_to_printer(&path, p));
    Ok(Printed {
        path: path.display().to_string(),
        sent,
    })
}

fn send_to_printer(path: &Path, printer: &str) -> Result<String, AppError> {
    let failed = |why: String| {
        AppError::new(
            "printer",
            format!("打印机 {printer} 没有接收：{why}。文件已保存，可稍后再打印。"),
            format!(
                "Printer {printer} did not take the job: {why}. The file is saved; print it later."
            ),
        )
    };
    let out = Command::new("lp")
        .arg("-d")
        .arg(printer)
        .arg(path)
        .output()
        .map_err(|e| failed(e.to_string()))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    } else {
        Err(failed(
            String::from_utf8_lossy(&out.stderr).trim().to_string(),
        ))
    }
}
