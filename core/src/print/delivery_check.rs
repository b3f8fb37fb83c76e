//! 到货验收单: the leader's line-by-line count of a delivery against the goods
//! summary, printed blank to count on paper or filled in as a record of acceptance.

use super::layout::{sign_lines, Align, Column, Heading, Sheet, Table, SIGN_GAP_MM, SIGN_LINES_MM};
use super::{PrintError, PrintFont};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeliveryCheckSheet {
    pub point_name: String,
    pub date: String,
    pub leader: String,
    /// When the leader accepted the delivery; `None` prints a blank to fill in.
    pub accepted_at: Option<String>,
    pub lines: Vec<CheckLine>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckLine {
    pub name: String,
    pub expected: u32,
    /// `None` until counted: the received, damaged and difference cells stay blank.
    pub received: Option<u32>,
    /// Of the received units, how many cannot be handed over.
    pub damaged: u32,
    pub note: String,
}

impl CheckLine {
    /// Expected units that cannot be handed over (missing or damaged), and units that
    /// arrived beyond the expected count; the same arithmetic as the delivery check.
    fn shortage_and_surplus(&self, received: u32) -> (u32, u32) {
        let usable = received.saturating_sub(self.damaged);
        (
            self.expected.saturating_sub(usable),
            received.saturating_sub(self.expected),
        )
    }

    fn difference(&self) -> String {
        let Some(received) = self.received else {
            return String::new();
        };
        match self.shortage_and_surplus(received) {
            (0, 0) => "相符".to_owned(),
            (short, 0) => format!("短 {short}"),
            (0, over) => format!("多 {over}"),
            (short, over) => format!("短 {short} 多 {over}"),
        }
    }
}

pub fn delivery_check_sheet(
    font: &PrintFont,
    check: &DeliveryCheckSheet,
) -> Result<Vec<u8>, PrintError> {
    let mut sheet = Sheet::a4(
        font,
        Heading {
            title: "到货验收单",
            title_en: "Delivery check",
            facts: vec![
                ("自提点 Point", check.point_name.clone()),
                ("到货日期 Date", check.date.clone()),
            ],
        },
    );
    let table = Table::new(
        sheet.left(),
        sheet.right(),
        vec![
            Column::new("序号", "No.", 10.0, Align::Right),
            Column::new("商品", "Item", 0.0, Align::Left),
            Column::new("应到", "Expected", 16.0, Align::Right),
            Column::new("实到", "Received", 16.0, Align::Right),
            Column::new("破损", "Damaged", 16.0, Align::Right),
            Column::new("短缺/多出", "Short/over", 22.0, Align::Left),
            Column::new("备注", "Notes", 42.0, Align::Left),
        ],
    );
    table.header(&mut sheet);
    let (mut expected, mut received, mut damaged, mut short, mut over) =
        (0u64, 0u64, 0u64, 0u64, 0u64);
    for (i, line) in check.lines.iter().enumerate() {
        expected += u64::from(line.expected);
        if let Some(r) = line.received {
            let (s, o) = line.shortage_and_surplus(r);
            received += u64::from(r);
            damaged += u64::from(line.damaged);
            short += u64::from(s);
            over += u64::from(o);
        }
        table.row(
            &mut sheet,
            &[
                (i + 1).to_string(),
                line.name.clone(),
                line.expected.to_string(),
                line.received.map(|r| r.to_string()).unwrap_or_default(),
                line.received
                    .map(|_| line.damaged.to_string())
                    .unwrap_or_default(),
                line.difference(),
                line.note.clone(),
            ],
        );
    }
    let counted = check.lines.iter().any(|l| l.received.is_some());
    let blank_unless_counted = |n: u64| {
        if counted {
            n.to_string()
        } else {
            String::new()
        }
    };
    table.total_row(
        &mut sheet,
        &[
            String::new(),
            "合计 Total".to_owned(),
            expected.to_string(),
            blank_unless_counted(received),
            blank_unless_counted(damaged),
            if counted {
                format!("短 {short} 多 {over}")
            } else {
                String::new()
            },
            String::new(),
        ],
        SIGN_GAP_MM + SIGN_LINES_MM,
    );
    sheet.advance(SIGN_GAP_MM);
    let accepted_at = check.accepted_at.as_deref().unwrap_or_default();
    sign_lines(
        &mut sheet,
        &[
            ("验收时间", "Accepted at", accepted_at),
            ("团长", "Leader", &check.leader),
            ("签字", "Signature", ""),
        ],
    );
    Ok(sheet.finish())
}
