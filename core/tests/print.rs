//! Printed documents, checked as a reader would: the PDF opens, the Chinese comes back
//! out as text (`pdftotext`, Debian `poppler-utils`), long lists break into pages that
//! repeat their heading and column labels, the font is subset, and a bag label's QR
//! code scans back to the order's payload.
//!
//! To look at the pages yourself, set `LINLI_PRINT_SAMPLES=/some/dir`: every PDF the
//! tests build is kept there (render with `pdftoppm -r 80 -png`).
#![cfg(feature = "print")]

use std::path::{Path, PathBuf};
use std::process::Command;

use linli_core::ids::PointId;
use linli_core::money::Fen;
use linli_core::pickup_code::PickupCode;
use linli_core::pickup_qr::PickupQr;
use linli_core::print::*;

fn font() -> PrintFont {
    match FontSource::debian().load() {
        Ok(font) => font,
        Err(e) => panic!("{e}"),
    }
}

/// A one-page document must stay far below this: the whole font is 5 MB, a subset of
/// a few hundred glyphs is tens of KiB.
const ONE_PAGE_BOUND: usize = 300 * 1024;

/// Writes the PDF where a person can open it (or into a scratch dir) and returns its path.
fn keep(name: &str, pdf: &[u8]) -> PathBuf {
    let dir = std::env::var_os("LINLI_PRINT_SAMPLES")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            std::env::temp_dir().join(format!("linli-print-{}", std::process::id()))
        });
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{name}.pdf"));
    std::fs::write(&path, pdf).unwrap();
    path
}

/// The text of each page, or `None` (with a message) when poppler-utils is missing.
fn pages_text(path: &Path) -> Option<Vec<String>> {
    let out = match Command::new("pdftotext")
        .arg("-layout")
        .arg(path)
        .arg("-")
        .output()
    {
        Ok(out) => out,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            eprintln!(
                "SKIPPED text round-trip: pdftotext not installed (apt-get install poppler-utils)"
            );
            return None;
        }
        Err(e) => panic!("pdftotext: {e}"),
    };
    assert!(
        out.status.success(),
        "pdftotext failed on {}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    // pdftotext ends every page with a form feed.
    let mut pages: Vec<String> = text.split('\u{c}').map(str::to_owned).collect();
    pages.pop();
    Some(pages)
}

fn assert_pdf(pdf: &[u8]) {
    assert!(
        pdf.starts_with(b"%PDF"),
        "not a PDF: {:?}",
        &pdf[..pdf.len().min(16)]
    );
}

/// pdftotext -layout may put spaces between wide characters; compare without them.
fn squeeze(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

fn assert_contains(page: &str, wanted: &[&str]) {
    let page = squeeze(page);
    for w in wanted {
        assert!(
            page.contains(&squeeze(w)),
            "missing {w:?} in page text:\n{page}"
        );
    }
}

fn purchase_order_sample(lines: usize) -> PurchaseOrder {
    let names = [
        "赣南脐橙",
        "散养土鸡蛋",
        "东北五常大米",
        "有机菠菜",
        "冷鲜猪里脊",
        "纯牛奶",
    ];
    let specs = [
        "5kg/箱",
        "30枚/盒",
        "10kg/袋",
        "500g/份",
        "400g/盒",
        "250ml×12",
    ];
    PurchaseOrder {
        number: "PO-20250612-0007".into(),
        supplier: "长沙绿源果蔬供应链有限公司".into(),
        wave: "2025-06-11 23:00 截单".into(),
        delivery_date: "2025-06-12".into(),
        deliver_to: "长沙市望城区中心仓 3 号月台".into(),
        lines: (0..lines)
            .map(|i| PurchaseOrderLine {
                sku_name: if i == 2 {
                    "东北五常大米（稻花香2号，当季新米，真空包装，产地直发）".into()
                } else {
                    names[i % names.len()].into()
                },
                spec: specs[i % specs.len()].into(),
                qty: 12 + i as u32 * 3,
                unit_price: Fen(1_990 + i as i64 * 150),
            })
            .collect(),
    }
}

#[test]
fn purchase_order_round_trips_its_chinese_and_totals() {
    let order = purchase_order_sample(4);
    let pdf = purchase_order(&font(), &order).unwrap();
    assert_pdf(&pdf);
    assert!(
        pdf.len() < ONE_PAGE_BOUND,
        "font not subset? {} bytes",
        pdf.len()
    );
    let path = keep("purchase_order", &pdf);
    let Some(pages) = pages_text(&path) else {
        return;
    };
    assert_eq!(pages.len(), 1);
    // 12×¥19.90 + 15×¥21.40 + 18×¥22.90 + 21×¥24.40 = 238.80+321.00+412.20+512.40
    assert_contains(
        &pages[0],
        &[
            "采购单",
            "长沙绿源果蔬供应链有限公司",
            "赣南脐橙",
            "散养土鸡蛋",
            "¥19.90",
            "¥238.80",
            "¥1484.40",
            "合计",
        ],
    );
}

#[test]
fn a_long_purchase_order_repeats_heading_and_column_labels_on_every_page() {
    let order = purchase_order_sample(90);
    let pdf = purchase_order(&font(), &order).unwrap();
    assert_pdf(&pdf);
    let path = keep("purchase_order_long", &pdf);
    let Some(pages) = pages_text(&path) else {
        return;
    };
    assert!(pages.len() >= 2, "90 lines on {} page(s)", pages.len());
    for (i, page) in pages.iter().enumerate() {
        assert_contains(
            page,
            &[
                "采购单",
                "长沙绿源果蔬供应链有限公司",
                "单价",
                "金额",
                &format!("第{}/{}页", i + 1, pages.len()),
            ],
        );
    }
    assert_contains(pages.last().unwrap(), &["合计"]);
}

#[test]
fn an_overflowing_amount_is_an_error_not_a_panic() {
    let mut order = purchase_order_sample(1);
    order.lines[0].unit_price = Fen(i64::MAX / 2);
    assert!(matches!(
        purchase_order(&font(), &order),
        Err(PrintError::AmountOverflow { .. })
    ));
}

fn stop(name: &str, lines: usize) -> DeliveryStop {
    let goods = [
        "赣南脐橙 5kg",
        "散养土鸡蛋 30枚",
        "纯牛奶 250ml×12",
        "有机菠菜 500g",
    ];
    DeliveryStop {
        point_name: name.into(),
        address: format!("长沙市岳麓区{name}门口"),
        leader: "王秀英".into(),
        phone: "138 0731 5521".into(),
        lines: (0..lines)
            .map(|i| StopLine {
                name: goods[i % goods.len()].into(),
                qty: 3 + i as u32,
            })
            .collect(),
    }
}

fn delivery_sample(stops: usize) -> DeliverySheet {
    let names = [
        "阳光花园便利店",
        "梅溪湖一期邻里小卖部",
        "麓谷街道菜鸟驿站",
        "桃子湖社区超市",
    ];
    DeliverySheet {
        route: "岳麓 3 号线".into(),
        driver: "李建国".into(),
        date: "2025-06-12".into(),
        stops: (0..stops)
            .map(|i| stop(names[i % names.len()], 3 + (i * 5) % 9))
            .collect(),
    }
}

#[test]
fn delivery_sheet_lists_stops_in_order_with_totals_and_sign_off() {
    let pdf = delivery_sheet(&font(), &delivery_sample(3)).unwrap();
    assert_pdf(&pdf);
    assert!(pdf.len() < ONE_PAGE_BOUND, "{} bytes", pdf.len());
    let path = keep("delivery_sheet", &pdf);
    let Some(pages) = pages_text(&path) else {
        return;
    };
    let text = squeeze(&pages.concat());
    assert_contains(
        &text,
        &[
            "配送单",
            "岳麓3号线",
            "李建国",
            "王秀英",
            "散养土鸡蛋",
            "本站合计",
            "签收",
        ],
    );
    let first = text.find("阳光花园便利店").unwrap();
    let second = text.find("梅溪湖一期邻里小卖部").unwrap();
    let third = text.find("麓谷街道菜鸟驿站").unwrap();
    assert!(first < second && second < third, "stops out of order");
}

#[test]
fn a_long_route_breaks_between_stops_and_repeats_the_heading() {
    let pdf = delivery_sheet(&font(), &delivery_sample(14)).unwrap();
    let path = keep("delivery_sheet_long", &pdf);
    let Some(pages) = pages_text(&path) else {
        return;
    };
    assert!(pages.len() >= 2);
    for page in &pages {
        assert_contains(page, &["配送单", "岳麓3号线", "李建国"]);
        // A stop kept whole: every page has as many stop titles as sign-off lines.
        let page = squeeze(page);
        assert_eq!(
            page.matches("本站合计").count(),
            page.matches("签收").count()
        );
        assert_eq!(
            page.matches("站Stop").count(),
            page.matches("签收").count(),
            "{page}"
        );
    }
}

#[test]
fn a_stop_longer_than_a_page_breaks_and_keeps_its_total_with_the_sign_off() {
    let mut delivery = delivery_sample(2);
    delivery.stops[1] = stop("梅溪湖一期邻里小卖部", 60);
    let pdf = delivery_sheet(&font(), &delivery).unwrap();
    let path = keep("delivery_sheet_big_stop", &pdf);
    let Some(pages) = pages_text(&path) else {
        return;
    };
    assert!(pages.len() >= 2);
    let last = squeeze(pages.last().unwrap());
    assert!(last.contains("本站合计") && last.contains("签收"), "{last}");
    for page in &pages {
        // Rows that continue on a new page do so under the column labels.
        assert_contains(page, &["配送单", "李建国", "商品", "数量"]);
    }
}

/// The server keeps one loaded font behind an `Arc` for all requests.
#[test]
fn a_loaded_font_can_be_shared_across_threads() {
    fn shareable<T: Send + Sync>() {}
    shareable::<PrintFont>();
}

fn pick_list_sample(orders: usize) -> PickList {
    let names = ["张伟", "李娜", "欧阳明月", "陈静"];
    PickList {
        point_name: "阳光花园便利店".into(),
        date: "2025-06-12".into(),
        orders: (0..orders)
            .map(|i| PickListOrder {
                number: format!("LL2506120{:04}", i + 31),
                consumer_name: names[i % names.len()].into(),
                phone_tail: format!("{:04}", 1000 + i * 37),
                lines: (0..1 + i % 4)
                    .map(|j| PickListLine {
                        name: [
                            "赣南脐橙 5kg",
                            "散养土鸡蛋 30枚",
                            "纯牛奶 250ml×12",
                            "有机菠菜 500g",
                        ][j]
                            .into(),
                        qty: 1 + j as u32,
                    })
                    .collect(),
                status: if i % 3 == 0 {
                    PickStatus::PickedUp
                } else {
                    PickStatus::ToPick
                },
            })
            .collect(),
    }
}

#[test]
fn pick_list_shows_every_order_with_its_lines_and_status() {
    let pdf = pick_list(&font(), &pick_list_sample(6)).unwrap();
    assert_pdf(&pdf);
    assert!(pdf.len() < ONE_PAGE_BOUND, "{} bytes", pdf.len());
    let path = keep("pick_list", &pdf);
    let Some(pages) = pages_text(&path) else {
        return;
    };
    assert_eq!(pages.len(), 1);
    assert_contains(
        &pages[0],
        &[
            "当日提货清单",
            "阳光花园便利店",
            "欧阳明月",
            "1074",
            "LL25061200033",
            "纯牛奶250ml×12×3",
            "待提货",
            "已提货",
            "共6单，待提货4，已提货2",
        ],
    );
}

#[test]
fn a_long_pick_list_repeats_its_column_labels() {
    let pdf = pick_list(&font(), &pick_list_sample(70)).unwrap();
    let path = keep("pick_list_long", &pdf);
    let Some(pages) = pages_text(&path) else {
        return;
    };
    assert!(pages.len() >= 2);
    for page in &pages {
        assert_contains(
            page,
            &["当日提货清单", "阳光花园便利店", "手机尾号", "核对"],
        );
    }
}

#[test]
fn delivery_check_sheet_shows_shortage_and_surplus() {
    let check = DeliveryCheckSheet {
        point_name: "阳光花园便利店".into(),
        date: "2025-06-12".into(),
        leader: "王秀英".into(),
        accepted_at: Some("2025-06-12 08:42".into()),
        lines: vec![
            CheckLine {
                name: "赣南脐橙 5kg".into(),
                expected: 10,
                received: Some(10),
                damaged: 0,
                note: String::new(),
            },
            CheckLine {
                name: "散养土鸡蛋 30枚".into(),
                expected: 8,
                received: Some(8),
                damaged: 2,
                note: "两盒破损，已拍照".into(),
            },
            CheckLine {
                name: "纯牛奶 250ml×12".into(),
                expected: 5,
                received: Some(6),
                damaged: 0,
                note: String::new(),
            },
            CheckLine {
                name: "有机菠菜 500g".into(),
                expected: 4,
                received: None,
                damaged: 0,
                note: String::new(),
            },
        ],
    };
    let pdf = delivery_check_sheet(&font(), &check).unwrap();
    assert_pdf(&pdf);
    assert!(pdf.len() < ONE_PAGE_BOUND, "{} bytes", pdf.len());
    let path = keep("delivery_check", &pdf);
    let Some(pages) = pages_text(&path) else {
        return;
    };
    assert_eq!(pages.len(), 1);
    assert_contains(
        &pages[0],
        &[
            "到货验收单",
            "阳光花园便利店",
            "相符",
            "短2",
            "多1",
            "两盒破损，已拍照",
            "2025-06-1208:42",
            "王秀英",
            "短2多1",
        ],
    );
}

#[test]
fn commission_statement_totals_accrued_reversed_and_unsettled() {
    let row = |date: &str, n: u32, fen: i64, kind| CommissionRow {
        date: date.into(),
        order_number: format!("LL25060{n:05}"),
        amount: Fen(fen),
        kind,
    };
    let statement = CommissionStatement {
        leader: "王秀英".into(),
        point_name: "阳光花园便利店".into(),
        period: "2025-06-01 至 2025-06-30".into(),
        notes: vec![],
        totals: None,
        rows: vec![
            row("2025-06-03", 101, 1_250, CommissionKind::Accrued),
            row("2025-06-05", 188, 830, CommissionKind::Accrued),
            row("2025-06-07", 188, 830, CommissionKind::Reversed),
            row("2025-06-15", 101, 1_250, CommissionKind::Settled),
            row("2025-06-20", 342, 2_005, CommissionKind::Accrued),
        ],
    };
    let pdf = commission_statement(&font(), &statement).unwrap();
    assert_pdf(&pdf);
    assert!(pdf.len() < ONE_PAGE_BOUND, "{} bytes", pdf.len());
    let path = keep("commission_statement", &pdf);
    let Some(pages) = pages_text(&path) else {
        return;
    };
    assert_eq!(pages.len(), 1);
    // accrued 12.50+8.30+20.05 = 40.85, reversed 8.30, net 32.55, settled 12.50, unsettled 20.05
    assert_contains(
        &pages[0],
        &[
            "佣金对账单",
            "王秀英",
            "已冲回",
            "-¥8.30",
            "¥40.85",
            "¥32.55",
            "未结算Unsettled¥20.05",
        ],
    );
}

fn label(i: u32) -> BagLabel {
    let point = PointId::new();
    let code = PickupCode::parse(&format!("{:07}", 4_518_203 + i)).unwrap();
    BagLabel {
        order_number: format!("LL2506120{:04}", 31 + i),
        consumer_name: ["欧阳明月", "张伟", "李娜"][i as usize % 3].into(),
        phone_tail: format!("{:04}", 5521 + i),
        point_name: "阳光花园便利店".into(),
        date: "2025-06-12 自提".into(),
        items: vec![
            "赣南脐橙 5kg ×1".into(),
            "散养土鸡蛋 30枚 ×2".into(),
            "纯牛奶 250ml×12 ×1".into(),
            "有机菠菜 500g ×3".into(),
            "冷鲜猪里脊 400g ×2".into(),
            "东北五常大米 10kg ×1".into(),
            "农家手工米粉 1kg ×4".into(),
            "手工酸奶 200g ×6".into(),
        ],
        qr_payload: PickupQr::new(point, code).encode(),
    }
}

#[test]
fn bag_labels_print_one_small_page_per_order() {
    let labels: Vec<BagLabel> = (0..3).map(label).collect();
    let pdf = bag_labels(&font(), &labels).unwrap();
    assert_pdf(&pdf);
    assert!(pdf.len() < ONE_PAGE_BOUND, "{} bytes", pdf.len());
    let path = keep("bag_labels", &pdf);
    let Some(pages) = pages_text(&path) else {
        return;
    };
    assert_eq!(pages.len(), 3);
    assert_contains(
        &pages[0],
        &["欧阳明月", "5521", "LL25061200031", "赣南脐橙"],
    );
    // Eight items do not fit: the list is cut, not run off the label.
    assert!(squeeze(&pages[0]).contains('…'), "{}", pages[0]);
    assert!(!squeeze(&pages[0]).contains("手工酸奶"));
}

#[test]
fn no_labels_is_an_error() {
    assert!(matches!(
        bag_labels(&font(), &[]),
        Err(PrintError::NothingToPrint { .. })
    ));
}

/// Renders the label as a printer would and scans its QR code with the counter's own
/// decoder: it must read back exactly the payload of the order.
#[cfg(feature = "scanner")]
#[test]
fn a_bag_label_qr_scans_back_to_its_payload() {
    let one = label(7);
    if let Some(found) = scan_printed_label("bag_label_scan", &one) {
        assert_eq!(found, vec![one.qr_payload]);
    }
}

/// The counter's own labels carry the order (`BagQr`), in the same version 3 symbol.
#[cfg(feature = "scanner")]
#[test]
fn a_counter_bag_label_scans_back_to_its_order() {
    let order = linli_core::ids::OrderId::new();
    let one = BagLabel {
        qr_payload: linli_core::bag_qr::BagQr::new(order).encode(),
        ..label(8)
    };
    if let Some(found) = scan_printed_label("bag_label_order_scan", &one) {
        assert_eq!(found, vec![one.qr_payload.clone()]);
        let back = linli_core::bag_qr::BagQr::parse(&found[0]).unwrap();
        assert_eq!(back.order, order);
    }
}

/// The label printed at 203 dpi (a thermal label printer) and decoded; `None` when
/// poppler-utils is missing.
#[cfg(feature = "scanner")]
fn scan_printed_label(name: &str, one: &BagLabel) -> Option<Vec<String>> {
    let pdf = bag_labels(&font(), std::slice::from_ref(one)).unwrap();
    let path = keep(name, &pdf);
    let prefix = path.with_extension("");
    let rendered = Command::new("pdftoppm")
        .args(["-r", "203", "-gray", "-png", "-singlefile"])
        .arg(&path)
        .arg(&prefix)
        .status();
    match rendered {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            eprintln!("SKIPPED QR scan: pdftoppm not installed (apt-get install poppler-utils)");
            return None;
        }
        Err(e) => panic!("pdftoppm: {e}"),
        Ok(status) => assert!(status.success()),
    }
    let frame = linli_core::scanner::still::load_frame(&prefix.with_extension("png")).unwrap();
    Some(linli_core::scanner::engines::rqrr_grayscale(&frame.image).unwrap())
}

#[test]
fn a_missing_font_is_a_clear_error() {
    let err = FontSource::path("/nonexistent/fonts/NoSuchFont.ttf")
        .load()
        .unwrap_err();
    assert!(matches!(err, PrintError::FontUnreadable { .. }));
    let message = err.to_string();
    assert!(
        message.contains("/nonexistent/fonts/NoSuchFont.ttf"),
        "{message}"
    );
    assert!(message.contains(DEBIAN_FONT_PACKAGE), "{message}");
}

#[test]
fn a_file_that_is_not_a_font_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fake.ttf");
    std::fs::write(&path, b"this is not a font at all").unwrap();
    assert!(matches!(
        FontSource::path(&path).load(),
        Err(PrintError::FontInvalid { .. })
    ));
}

#[test]
fn the_default_font_is_debians_wqy_microhei() {
    assert_eq!(
        FontSource::debian().resolved_path(),
        Path::new(DEBIAN_FONT_PATH)
    );
    assert_eq!(FontSource::default(), FontSource::debian());
}

#[test]
fn a_cff_font_is_refused_for_its_outlines() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cff.otf");
    let mut bytes = b"OTTO".to_vec();
    bytes.extend([0u8; 60]);
    std::fs::write(&path, bytes).unwrap();
    let err = FontSource::path(&path).load().unwrap_err();
    assert!(matches!(err, PrintError::FontNotTrueType { .. }), "{err}");
}
