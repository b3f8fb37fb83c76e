//! The project's own printed bag labels, as the counter's printer makes them: the
//! bag-label PDF from `linli_core::print`, rasterised by `pdftoppm` at 150 dpi (a
//! thermal label printer's resolution), then "photographed" the way the generated
//! labels are — scaled, turned, tilted, blurred, lit unevenly, glared, noised — and
//! decoded. Every one must come back as its own payload.

use std::path::Path;
use std::process::Command;

use anyhow::{bail, Context};
use linli_core::ids::PointId;
use linli_core::pickup_code::PickupCode;
use linli_core::pickup_qr::PickupQr;
use linli_core::print::{bag_labels, BagLabel, FontSource, QR_CENTRE_MM};
use linli_core::scanner::label::{photograph, Label, Photo};
use linli_core::scanner::{Decoder, Frame, ScanOutcome};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::stats::percentile;

const DPI: f64 = 150.0;

pub fn printed_labels(count: usize, save_misses: Option<&Path>) -> anyhow::Result<()> {
    if count == 0 {
        return Ok(());
    }
    let font = FontSource::debian().load()?;
    let mut rng = StdRng::seed_from_u64(150);
    let point = PointId(linli_core::ids::Uuid::from_u128(rng.gen()));
    let qrs: Vec<PickupQr> = (0..count)
        .map(|_| {
            let code = PickupCode::parse(&format!("{:07}", rng.gen_range(0..10_000_000)))?;
            Ok(PickupQr::new(point, code))
        })
        .collect::<anyhow::Result<_>>()?;
    let labels: Vec<BagLabel> = qrs
        .iter()
        .enumerate()
        .map(|(i, qr)| BagLabel {
            order_number: format!("1122-{:04}", i + 1),
            consumer_name: "王秀英".into(),
            phone_tail: format!("{:04}", 1000 + i % 9000),
            point_name: "芙蓉区·东风路便利店".into(),
            date: "2026-11-22".into(),
            items: vec!["赣南脐橙 5斤装 ×1".into(), "土鸡蛋 30枚 ×2".into()],
            qr_payload: qr.encode(),
        })
        .collect();
    let dir = tempfile::tempdir()?;
    let pdf = dir.path().join("labels.pdf");
    std::fs::write(&pdf, bag_labels(&font, &labels)?)?;
    let pages = rasterise(&pdf, dir.path())?;
    if pages.len() != count {
        bail!("pdftoppm made {} pages from {count} labels", pages.len());
    }

    // The issue names the transforms: scaled, turned, blurred, noised. The second
    // pass adds what a counter adds besides — perspective tilt and a lamp's glare —
    // with its own random stream, so its photos stay those of earlier runs.
    let mut plain_rng = StdRng::seed_from_u64(151);
    let plain_photo = |rng: &mut StdRng| Photo {
        tilt: 0.0,
        glare: 0.0,
        ..Photo::random(rng)
    };
    let plain = decode_pages(
        &pages,
        &qrs,
        &mut plain_rng,
        &plain_photo,
        "plain",
        save_misses,
    )?;
    report("scaled, turned, blurred, noised", "plain", count, &plain);
    let full = decode_pages(&pages, &qrs, &mut rng, &Photo::random, "full", save_misses)?;
    report("also tilted and glared", "full", count, &full);
    Ok(())
}

fn report(what: &str, tag: &str, count: usize, run: &PrintedRun) {
    println!(
        "\nprinted labels ({what}): {}/{count} bag labels (PDF → pdftoppm {DPI} dpi → \
         photographed 640×480) decoded to their payload; median {:.1} ms, p95 {:.1} ms",
        run.ok, run.median_ms, run.p95_ms,
    );
    for m in run.misses.iter().take(10) {
        println!("printed labels ({tag}): missed {m}");
    }
}

struct PrintedRun {
    ok: usize,
    median_ms: f64,
    p95_ms: f64,
    misses: Vec<String>,
}

/// Photographs each page as `photo` says and decodes it.
fn decode_pages(
    pages: &[std::path::PathBuf],
    qrs: &[PickupQr],
    rng: &mut StdRng,
    photo: &dyn Fn(&mut StdRng) -> Photo,
    tag: &str,
    save_misses: Option<&Path>,
) -> anyhow::Result<PrintedRun> {
    let decoder = Decoder::for_stills();
    let px_per_mm = DPI / 25.4;
    let (mut ok, mut times, mut misses) = (0, Vec::new(), Vec::new());
    for (i, (page, qr)) in pages.iter().zip(qrs).enumerate() {
        let image = image::open(page)
            .with_context(|| format!("reading {}", page.display()))?
            .to_luma8();
        let label = Label {
            image,
            qr_centre: (
                f64::from(QR_CENTRE_MM.0) * px_per_mm,
                f64::from(QR_CENTRE_MM.1) * px_per_mm,
            ),
        };
        let photo = photo(rng);
        let frame = Frame::new(photograph(&label, &photo, 640, 480, rng));
        let (outcome, report) = decoder.scan(&frame);
        times.push(report.elapsed);
        if outcome == ScanOutcome::Pickup(*qr) {
            ok += 1;
        } else {
            misses.push(format!("#{i} {photo:?}"));
            if let Some(dir) = save_misses {
                std::fs::create_dir_all(dir)?;
                frame
                    .image
                    .save(dir.join(format!("printed-{tag}-{i}.png")))?;
            }
        }
    }
    Ok(PrintedRun {
        ok,
        median_ms: percentile(&mut times, 50.0).as_secs_f64() * 1e3,
        p95_ms: percentile(&mut times, 95.0).as_secs_f64() * 1e3,
        misses,
    })
}

/// One grey PNG per page, in page order.
fn rasterise(pdf: &Path, dir: &Path) -> anyhow::Result<Vec<std::path::PathBuf>> {
    let status = Command::new("pdftoppm")
        .args(["-r", "150", "-gray", "-png"])
        .arg(pdf)
        .arg(dir.join("page"))
        .status()
        .context("running pdftoppm (apt-get install poppler-utils)")?;
    if !status.success() {
        bail!("pdftoppm failed: {status}");
    }
    let mut pages: Vec<_> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "png"))
        .collect();
    // pdftoppm zero-pads page numbers to a common width, so names sort in page order.
    pages.sort();
    Ok(pages)
}
