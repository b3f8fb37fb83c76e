//! `qr`: the pickup QR scanner on real photos (ZXing's black-box sets), side by side
//! with `zbarimg` on the same images in the same run; on generated, photographed Linli
//! labels; and in live mode at 1280×720 against a 30 fps camera stand-in.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use linli_core::scanner::label::LabelFrames;
use linli_core::scanner::pipeline::Stage;
use linli_core::scanner::replay::ReplayFrames;
use linli_core::scanner::still::load_frame;
use linli_core::scanner::warp;
use linli_core::scanner::{engines, Decoder, Frame, FrameSource, LiveScanner, ScanOutcome};

use crate::stats::percentile;

/// A decode that has not returned after this long is counted as a hang.
const HANG_AFTER: Duration = Duration::from_secs(10);

#[derive(clap::Args)]
pub struct QrArgs {
    /// The photo set (default: $LINLI_QR_DATASET, else <workspace>/../shared/datasets/zxing-qr).
    #[arg(long)]
    dataset: Option<PathBuf>,
    /// How many generated label photos to decode.
    #[arg(long, default_value_t = 1000)]
    labels: usize,
    /// Seconds of live mode at 30 fps.
    #[arg(long, default_value_t = 10)]
    live_seconds: u64,
    /// Also run every stage alone on every photo (for tuning the stage order).
    #[arg(long)]
    each_stage: bool,
    /// How many printed bag labels (PDF → pdftoppm → photographed) to decode.
    #[arg(long, default_value_t = 300)]
    printed_labels: usize,
    /// Save the generated label photos that did not decode here, as PNG.
    #[arg(long)]
    save_misses: Option<PathBuf>,
}

struct Sample {
    set: String,
    name: String,
    path: PathBuf,
    expected: String,
}

/// One decoder's results over the photo set.
#[derive(Default)]
struct Tally {
    correct: BTreeMap<String, usize>,
    times: Vec<Duration>,
    panics: u32,
    hangs: u32,
    wrong_text: u32,
}

impl Tally {
    fn total(&self) -> usize {
        self.correct.values().sum()
    }
}

pub fn run(args: QrArgs) -> anyhow::Result<()> {
    let dataset = dataset_dir(args.dataset)?;
    let samples = load_samples(&dataset)?;
    let sets: Vec<String> = {
        let mut s: Vec<String> = samples.iter().map(|s| s.set.clone()).collect();
        s.dedup();
        s
    };
    println!(
        "qr: {} scored photos in {}",
        samples.len(),
        dataset.display()
    );

    let linli = run_linli(&samples)?;
    let bare = run_bare_rqrr(&samples)?;
    let zbar = run_zbar(&samples);
    let zbar_batch = zbar_batch_mean(&samples);

    println!();
    print!("| decoder |");
    for set in &sets {
        print!(" {set} |");
    }
    println!(" total | median / image | p95 / image | panics caught | hangs |");
    print!("| --- |");
    for _ in &sets {
        print!(" --- |");
    }
    println!(" --- | --- | --- | --- | --- |");
    let mut rows = vec![
        ("linli (rxing, then rqrr with preprocessing)", &linli),
        ("rqrr 0.11 bare", &bare),
    ];
    if let Ok(z) = &zbar {
        rows.push(("zbarimg (one process per image)", z));
    }
    for (name, tally) in rows {
        let mut times = tally.times.clone();
        print!("| {name} |");
        for set in &sets {
            let n = samples.iter().filter(|s| &s.set == set).count();
            print!(" {}/{n} |", tally.correct.get(set).copied().unwrap_or(0));
        }
        println!(
            " {}/{} | {} | {} | {} | {} |",
            tally.total(),
            samples.len(),
            ms(percentile(&mut times, 50.0)),
            ms(percentile(&mut times, 95.0)),
            tally.panics,
            tally.hangs
        );
    }
    if let Err(e) = &zbar {
        println!("zbarimg not run: {e:#} (Debian: apt-get install -y zbar-tools)");
    }
    if let Ok(mean) = &zbar_batch {
        println!(
            "zbarimg, all photos in one process: {} per photo (mean)",
            ms(*mean)
        );
    }
    println!(
        "linli: times are read-the-file + decode; zbarimg: the process's wall time (it also reads the file). \
         {} decoded photos gave a wrong text.",
        linli.wrong_text
    );

    if args.each_stage {
        let cases: Vec<(Frame, String)> = samples
            .iter()
            .filter_map(|s| load_frame(&s.path).ok().map(|f| (f, s.expected.clone())))
            .collect();
        each_stage("photos", &cases);
    }
    labels(args.labels, args.each_stage, args.save_misses.as_deref())?;
    crate::qr_printed::printed_labels(args.printed_labels, args.save_misses.as_deref())?;
    live(args.live_seconds)?;

    let mut linli_times = linli.times.clone();
    let linli_median = percentile(&mut linli_times, 50.0);
    match &zbar {
        Ok(z) => {
            let mut zt = z.times.clone();
            let zbar_median = percentile(&mut zt, 50.0);
            println!(
                "qr: {}/{} decoded, median {} per photo ({:.2}x the decodes, {:.2}x the median time vs zbarimg {}/{}, {})",
                linli.total(),
                samples.len(),
                ms(linli_median),
                linli.total() as f64 / z.total().max(1) as f64,
                linli_median.as_secs_f64() / zbar_median.as_secs_f64().max(1e-9),
                z.total(),
                samples.len(),
                ms(zbar_median),
            );
        }
        Err(_) => println!(
            "qr: {}/{} decoded, median {} per photo (no zbarimg baseline)",
            linli.total(),
            samples.len(),
            ms(linli_median)
        ),
    }
    Ok(())
}

fn dataset_dir(flag: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    let dir = flag
        .or_else(|| std::env::var_os("LINLI_QR_DATASET").map(PathBuf::from))
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/datasets/zxing-qr")
        });
    if !dir.is_dir() {
        bail!(
            "QR photo set not found at {}: put shared/ beside the repo, or pass --dataset DIR or set LINLI_QR_DATASET",
            dir.display()
        );
    }
    Ok(dir)
}

/// Every `N.png`/`N.jpg` with an `N.txt` beside it, set by set, in name order.
fn load_samples(dir: &Path) -> anyhow::Result<Vec<Sample>> {
    let mut samples = Vec::new();
    let mut sets: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    sets.sort();
    for set in sets {
        let set_name = set
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut images: Vec<PathBuf> = std::fs::read_dir(&set)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("png" | "jpg")))
            .collect();
        images.sort();
        for path in images {
            let expected_path = path.with_extension("txt");
            if !expected_path.is_file() {
                continue;
            }
            let expected = std::fs::read_to_string(&expected_path)
                .with_context(|| format!("reading {}", expected_path.display()))?;
            samples.push(Sample {
                set: set_name.clone(),
                name: path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                path,
                expected,
            });
        }
    }
    if samples.is_empty() {
        bail!("no scored photos (N.png + N.txt) under {}", dir.display());
    }
    Ok(samples)
}

/// What one decoder attempt on one photo produced, measured on the worker thread.
struct Outcome {
    texts: Vec<String>,
    panicked: bool,
    elapsed: Duration,
}

/// Runs `decode` on its own thread so that a hang is counted, not waited for.
fn with_watchdog(decode: impl FnOnce() -> Outcome + Send + 'static) -> Option<Outcome> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(decode());
    });
    rx.recv_timeout(HANG_AFTER).ok()
}

fn score(tally: &mut Tally, sample: &Sample, outcome: Option<Outcome>) {
    let Some(outcome) = outcome else {
        tally.hangs += 1;
        return;
    };
    tally.times.push(outcome.elapsed);
    tally.panics += u32::from(outcome.panicked);
    if outcome.texts.iter().any(|t| t == &sample.expected) {
        *tally.correct.entry(sample.set.clone()).or_default() += 1;
    } else if !outcome.texts.is_empty() {
        tally.wrong_text += 1;
    }
}

fn run_linli(samples: &[Sample]) -> anyhow::Result<Tally> {
    let decoder = Arc::new(Decoder::for_stills());
    let mut tally = Tally::default();
    let mut stages: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut misses = Vec::new();
    for sample in samples {
        let path = sample.path.clone();
        let decoder = Arc::clone(&decoder);
        let found_stage = Arc::new(Mutex::new(None));
        let stage_slot = Arc::clone(&found_stage);
        let outcome = with_watchdog(move || {
            let start = Instant::now();
            let Ok(frame) = load_frame(&path) else {
                return Outcome {
                    texts: vec![],
                    panicked: false,
                    elapsed: start.elapsed(),
                };
            };
            // The bench scores any QR, so any decoded text stops the pipeline.
            let report = decoder.decode(&frame, |_| true);
            let elapsed = start.elapsed();
            if let Ok(mut slot) = stage_slot.lock() {
                *slot = report.found.as_ref().map(|f| f.stage.name());
            }
            Outcome {
                texts: report.found.map(|f| f.text).into_iter().collect(),
                panicked: report.panics_caught > 0,
                elapsed,
            }
        });
        let before = tally.total();
        score(&mut tally, sample, outcome);
        if tally.total() > before {
            if let Some(stage) = found_stage.lock().ok().and_then(|s| *s) {
                *stages.entry(stage).or_default() += 1;
            }
        } else {
            misses.push(format!("{}/{}", sample.set, sample.name));
        }
    }
    println!("linli: photos decoded, by the stage that found the code: {stages:?}");
    println!("linli: missed {}: {}", misses.len(), misses.join(" "));
    Ok(tally)
}

/// The baseline: one `rqrr` call on the grayscale photo, as the crate comes.
fn run_bare_rqrr(samples: &[Sample]) -> anyhow::Result<Tally> {
    let mut tally = Tally::default();
    for sample in samples {
        let path = sample.path.clone();
        let outcome = with_watchdog(move || {
            let start = Instant::now();
            let Ok(frame) = load_frame(&path) else {
                return Outcome {
                    texts: vec![],
                    panicked: false,
                    elapsed: start.elapsed(),
                };
            };
            let result = engines::rqrr_grayscale(&frame.image);
            let elapsed = start.elapsed();
            Outcome {
                panicked: result.is_err(),
                texts: result.unwrap_or_default(),
                elapsed,
            }
        });
        score(&mut tally, sample, outcome);
    }
    Ok(tally)
}

fn run_zbar(samples: &[Sample]) -> anyhow::Result<Tally> {
    let mut tally = Tally::default();
    for sample in samples {
        let start = Instant::now();
        let out = Command::new("zbarimg")
            .args(["-q", "--raw"])
            .arg(&sample.path)
            .output()
            .context("running zbarimg")?;
        let elapsed = start.elapsed();
        // --raw prints each symbol's text followed by a newline.
        let stdout = String::from_utf8_lossy(&out.stdout);
        let wanted = format!("{}\n", sample.expected);
        let texts = if stdout == wanted
            || stdout.starts_with(&wanted)
            || stdout.contains(&format!("\n{wanted}"))
        {
            vec![sample.expected.clone()]
        } else if stdout.is_empty() {
            vec![]
        } else {
            vec![stdout.into_owned()]
        };
        score(
            &mut tally,
            sample,
            Some(Outcome {
                texts,
                panicked: false,
                elapsed,
            }),
        );
    }
    Ok(tally)
}

/// zbarimg's time per photo without one process start per photo: all in one call.
fn zbar_batch_mean(samples: &[Sample]) -> anyhow::Result<Duration> {
    let start = Instant::now();
    Command::new("zbarimg")
        .args(["-q", "--raw"])
        .args(samples.iter().map(|s| &s.path))
        .output()
        .context("running zbarimg")?;
    Ok(start.elapsed() / samples.len() as u32)
}

/// Every stage alone on every case, to see what each is worth and costs.
fn each_stage(title: &str, cases: &[(Frame, String)]) {
    println!("\n| {title}: stage alone | decoded | median | p95 |\n| --- | --- | --- | --- |");
    for stage in Stage::ALL {
        let decoder = Decoder {
            stages: vec![stage],
            budget: HANG_AFTER,
            ..Decoder::for_stills()
        };
        let mut ok = 0;
        let mut times = Vec::new();
        for (frame, expected) in cases {
            let report = decoder.decode(frame, |_| true);
            times.push(report.elapsed);
            ok += usize::from(report.found.is_some_and(|f| &f.text == expected));
        }
        println!(
            "| {} | {ok}/{} | {} | {} |",
            stage.name(),
            cases.len(),
            ms(percentile(&mut times, 50.0)),
            ms(percentile(&mut times, 95.0))
        );
    }
}

/// Generated Linli labels, photographed at 640×480: every one must decode to its payload.
fn labels(count: usize, each: bool, save_misses: Option<&Path>) -> anyhow::Result<()> {
    let decoder = Decoder::for_stills();
    let mut source = LabelFrames::new(6, 640, 480);
    source.open_stream()?;
    let (mut ok, mut times, mut failures, mut cases) = (0, Vec::new(), Vec::new(), Vec::new());
    let mut stages: BTreeMap<&'static str, usize> = BTreeMap::new();
    for i in 0..count {
        let shot = source.next_shot()?;
        if each {
            cases.push((shot.frame.clone(), shot.qr.encode()));
        }
        let (outcome, report) = decoder.scan(&shot.frame);
        times.push(report.elapsed);
        if outcome == ScanOutcome::Pickup(shot.qr) {
            ok += 1;
            if let Some(found) = &report.found {
                *stages.entry(found.stage.name()).or_default() += 1;
            }
        } else {
            failures.push(format!("#{i} {} {:?}", shot.qr.encode(), shot.photo));
            if let Some(dir) = save_misses {
                std::fs::create_dir_all(dir)?;
                shot.frame.image.save(dir.join(format!("label-{i}.png")))?;
            }
        }
    }
    println!(
        "\nlabels: {ok}/{count} generated label photos (640×480; scale, 0–360° turn, tilt, blur, glare, noise) \
         decoded to their payload; median {}, p95 {}",
        ms(percentile(&mut times, 50.0)),
        ms(percentile(&mut times, 95.0))
    );
    println!("labels: decoded, by the stage that found the code: {stages:?}");
    for f in failures.iter().take(10) {
        println!("labels: missed {f}");
    }
    if each {
        each_stage("labels", &cases);
    }
    Ok(())
}

/// Live mode: 1280×720 frames from a 30 fps camera stand-in, the live decoder on the
/// other core. Half the prepared frames show a label, half an empty counter.
fn live(seconds: u64) -> anyhow::Result<()> {
    const FPS: f64 = 30.0;
    let mut source = LabelFrames::new(15, 1280, 720);
    source.open_stream()?;
    let mut rng = rand::thread_rng();
    let mut frames = Vec::new();
    for _ in 0..10 {
        frames.push(source.next_shot()?.frame);
        let mut empty = image::GrayImage::from_pixel(1280, 720, image::Luma([110]));
        warp::add_noise(&mut empty, 6.0, &mut rng);
        frames.push(Frame::new(empty));
    }
    let total = (seconds as f64 * FPS) as usize;
    let results = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&results);
    let start = Instant::now();
    let scanner = LiveScanner::start(
        move || Ok(ReplayFrames::new(frames, FPS, total)),
        Decoder::for_live(),
        move |r| {
            if let Ok(mut v) = sink.lock() {
                v.push(r);
            }
        },
    );
    let stats = scanner.wait();
    let wall = start.elapsed();
    let results = results.lock().map(|r| r.clone()).unwrap_or_default();
    let mut decode: Vec<Duration> = results.iter().map(|r| r.report.elapsed).collect();
    let mut latency: Vec<Duration> = results.iter().map(|r| r.latency).collect();
    let found = results
        .iter()
        .filter(|r| matches!(r.outcome, ScanOutcome::Pickup(_)))
        .count();
    println!(
        "\nlive: camera 1280×720 @ {FPS} fps for {:.1} s: {} frames captured, {} decoded ({:.1} fps), {} dropped as stale, \
         {found} pickup codes read; decode median {}, p95 {}; capture→answer median {}, p95 {}; panics caught {}",
        wall.as_secs_f64(),
        stats.frames_captured,
        stats.frames_decoded,
        stats.frames_decoded as f64 / wall.as_secs_f64(),
        stats.frames_dropped,
        ms(percentile(&mut decode, 50.0)),
        ms(percentile(&mut decode, 95.0)),
        ms(percentile(&mut latency, 50.0)),
        ms(percentile(&mut latency, 95.0)),
        stats.panics_caught,
    );
    Ok(())
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}
