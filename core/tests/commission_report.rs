//! The Excel export and the printed statement from the pulled ledger, on a real
//! SQLite replica: the ledger stored as a pull stores it, the workbook read back
//! (calamine) and the PDF read back (`pdftotext`), each against the totals the
//! Commission screen shows. A ledger never pulled is said so, not shown as zeros.
#![cfg(all(feature = "export", feature = "print", feature = "scanner"))]

use std::io::Cursor;
use std::process::Command;

use calamine::{Data, Reader, Xlsx};
use linli_core::app::commission_export::{commission_xlsx, LEDGER_SHEET, WITHDRAWALS_SHEET};
use linli_core::app::commission_report::commission_report;
use linli_core::app::printing::commission_statement_pdf;
use linli_core::app::withdrawal::commission_ledger;
use linli_core::app::{delivery_check, demo_seed, pickup_desk};
use linli_core::counter::CodeMethod;
use linli_core::money::Fen;
use linli_core::print::{FontSource, PrintFont};
use linli_core::replica::Replica;
use linli_core::sync::pull::{LedgerEntry, LedgerEntryKind, LedgerPage};
use linli_core::sync::PullKind;
use linli_core::time::Millis;

const DAY: &str = "2026-11-22";

/// An enrolled replica file with one seeded day, accepted, and its first order
/// handed over (so it has local commission the server has not booked).
fn counter() -> (tempfile::TempDir, Replica, demo_seed::Seeded) {
    let dir = tempfile::tempdir().unwrap();
    let mut r = Replica::open(&dir.path().join("replica.sqlite3")).unwrap();
    let seeded = demo_seed::seed(&mut r, DAY, 4, &dir.path().join("seed")).unwrap();
    delivery_check::accept(&mut r, DAY).unwrap();
    pickup_desk::hand_over(&mut r, &seeded.orders[0].code, None, CodeMethod::Typed).unwrap();
    (dir, r, seeded)
}

fn entry(version: u64, kind: LedgerEntryKind, amount: i64, number: Option<&str>) -> LedgerEntry {
    LedgerEntry {
        version,
        kind,
        order: number.map(|n| format!("order-{n}")),
        order_number: number.map(str::to_owned),
        sku: number.map(|_| "egg".to_owned()),
        qty: number.map(|_| 2),
        base: Fen(amount * 10),
        rate: number.map(|_| 1000),
        amount: Fen(amount),
        // 2026-11-22 10:00 in Beijing, a minute apart.
        at: Millis(1_795_312_800_000 + version as i64 * 60_000),
        period: (kind == LedgerEntryKind::Settlement).then(|| "2026-11".to_owned()),
        withdrawal: (kind == LedgerEntryKind::Withdrawal).then(|| "w-1".to_owned()),
    }
}

/// The ledger as a pull answer stores it: accrued 12.50 + 8.30 + 20.05, 8.30
/// reversed, 12.50 settled, 5.00 withdrawn.
fn pull_ledger(r: &mut Replica) {
    let page = LedgerPage {
        entries: vec![
            entry(1, LedgerEntryKind::Accrual, 1250, Some("1122-0101")),
            entry(2, LedgerEntryKind::Accrual, 830, Some("1122-0188")),
            entry(3, LedgerEntryKind::Reversal, 830, Some("1122-0188")),
            entry(4, LedgerEntryKind::Settlement, 1250, None),
            entry(5, LedgerEntryKind::Accrual, 2005, Some("1122-0342")),
            entry(6, LedgerEntryKind::Withdrawal, 500, None),
        ],
        more: false,
    };
    r.store_pull(PullKind::Ledger, 6, &serde_json::to_vec(&page).unwrap())
        .unwrap();
}

/// The first sheet's cells as text, row by row (numbers as whole numbers).
fn sheet_rows(xlsx: &[u8], sheet: &str) -> Vec<Vec<String>> {
    let mut book = Xlsx::new(Cursor::new(xlsx.to_vec())).unwrap();
    let range = book.worksheet_range(sheet).unwrap();
    range
        .rows()
        .map(|row| {
            row.iter()
                .map(|c| match c {
                    Data::Float(f) => format!("{f:.0}"),
                    Data::Int(i) => i.to_string(),
                    Data::Empty => String::new(),
                    other => other.to_string(),
                })
                .collect()
        })
        .collect()
}

/// The fen cell beside a totals label.
fn total(rows: &[Vec<String>], label: &str) -> i64 {
    let row = rows
        .iter()
        .find(|r| r.first().is_some_and(|c| c == label))
        .unwrap_or_else(|| panic!("no totals row {label} in {rows:?}"));
    row[1].parse().unwrap()
}

fn font() -> PrintFont {
    FontSource::debian()
        .load()
        .unwrap_or_else(|e| panic!("{e}"))
}

/// The PDF's text without whitespace (pdftotext -layout spaces wide characters).
fn pdf_text(dir: &std::path::Path, pdf: &[u8]) -> String {
    let path = dir.join("statement.pdf");
    std::fs::write(&path, pdf).unwrap();
    let out = Command::new("pdftotext")
        .args(["-layout"])
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) is installed by scripts/install-deps.sh");
    assert!(out.status.success());
    String::from_utf8(out.stdout)
        .unwrap()
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect()
}

#[test]
fn the_export_lists_the_pulled_ledger_with_the_screens_totals() {
    let (_dir, mut r, _) = counter();
    pull_ledger(&mut r);
    let screen = commission_ledger(&r, 500).unwrap().totals;
    assert_eq!(
        (screen.accrued, screen.reversed, screen.settled),
        (Fen(4085), Fen(830), Fen(1250))
    );
    assert_eq!(screen.unsettled, Fen(2005));

    let report = commission_report(&r).unwrap();
    assert_eq!(
        report.ledger.totals, screen,
        "one rule for screen and export"
    );
    let rows = sheet_rows(&commission_xlsx(&report).unwrap(), LEDGER_SHEET);
    assert_eq!(total(&rows, "计提合计 Accrued"), 4085);
    assert_eq!(total(&rows, "冲回合计 Reversed"), -830);
    assert_eq!(total(&rows, "净佣金 Net accrued"), 3255);
    assert_eq!(total(&rows, "已结算 Settled"), 1250);
    assert_eq!(total(&rows, "未结算 Unsettled"), 2005);
    assert_eq!(total(&rows, "已提现 Withdrawn"), 500);
    assert_eq!(total(&rows, "可提现 Available"), 750);

    // One row per pulled entry, oldest first, signed as on screen.
    let head = rows.iter().position(|r| r[0] == "时间 Time").unwrap();
    let entries: Vec<(&str, &str, &str)> = rows[head + 1..]
        .iter()
        .map(|r| (r[1].as_str(), r[2].as_str(), r[3].as_str()))
        .collect();
    assert_eq!(
        entries,
        vec![
            ("计提 Accrual", "1122-0101", "1250"),
            ("计提 Accrual", "1122-0188", "830"),
            ("冲回 Reversal", "1122-0188", "-830"),
            ("结算 Settlement", "账期 Period 2026-11", "1250"),
            ("计提 Accrual", "1122-0342", "2005"),
            ("提现 Withdrawal", "提现 w-1", "-500"),
        ]
    );
    assert_eq!(rows[head + 1][0], "2026-11-22 10:01");
    assert_eq!(rows[head + 1][4], "¥12.50");

    // The handover this device made is not booked yet: a note, not in the totals.
    assert!(
        rows[0][0].starts_with("佣金账本取自服务器："),
        "{:?}",
        rows[0]
    );
    let awaiting = rows.iter().flatten().find(|c| c.contains("待同步后入账"));
    assert!(
        awaiting.is_some_and(|c| c.starts_with("另有 1 单佣金")),
        "{rows:?}"
    );
}

#[test]
fn a_ledger_never_pulled_is_said_so_in_the_export_and_the_statement() {
    let (dir, mut r, _) = counter();
    r.queue_withdrawal(Fen(300)).unwrap();
    let report = commission_report(&r).unwrap();
    assert!(report.rows.is_empty());
    let xlsx = commission_xlsx(&report).unwrap();
    let rows = sheet_rows(&xlsx, LEDGER_SHEET);
    assert!(rows[0][0].contains("尚未从服务器取得"), "{rows:?}");
    assert!(
        rows[1][0].contains("never come from the server"),
        "{rows:?}"
    );
    let withdrawals = sheet_rows(&xlsx, WITHDRAWALS_SHEET);
    assert_eq!(withdrawals.len(), 2, "{withdrawals:?}");
    assert_eq!(withdrawals[1][1..4], ["300", "¥3.00", "queued"]);

    let text = pdf_text(
        dir.path(),
        &commission_statement_pdf(&r, &font(), "幸福里").unwrap(),
    );
    assert!(text.contains("佣金账本尚未从服务器取得"), "{text}");
    assert!(text.contains("nevercomefromtheserver"), "{text}");
    assert!(text.contains("另有1单佣金"), "{text}");
}

#[test]
fn the_printed_statement_lists_the_pulled_ledger_with_the_same_totals() {
    let (dir, mut r, _) = counter();
    pull_ledger(&mut r);
    let text = pdf_text(
        dir.path(),
        &commission_statement_pdf(&r, &font(), "幸福里").unwrap(),
    );
    for wanted in [
        "佣金对账单",
        "幸福里",
        "2026-11-22至2026-11-22",
        "1122-0101",
        "1122-0342",
        "-¥8.30",
        "已提现Withdrawn-¥5.00",
        "计提合计Accrued¥40.85",
        "冲回合计Reversed-¥8.30",
        "净佣金Netaccrued¥32.55",
        "已结算Settled¥12.50",
        "未结算Unsettled¥20.05",
        "可提现Available¥7.50",
        "佣金账本取自服务器",
    ] {
        assert!(text.contains(wanted), "missing {wanted} in {text}");
    }
    assert!(!text.contains("尚未从服务器取得"));
}
