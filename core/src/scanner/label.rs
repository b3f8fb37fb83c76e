//! Generated test frames: Linli bag labels as the counter's printer makes them
//! (~150 dpi), then "photographed" — scaled, turned, tilted, blurred, unevenly lit,
//! glared and noised — so the scanner is tested on our own codes the way a tablet
//! camera sees them. `photograph` also takes a real printed label (the bag-label
//! PDF rasterised by `pdftoppm`): the `qr` bench checks both.

use image::GrayImage;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::frame::{Frame, FrameError, FrameSource};
use super::warp::{self, Homography};
use crate::ids::PointId;
use crate::pickup_code::PickupCode;
use crate::pickup_qr::PickupQr;

/// A 60 × 40 mm label at 150 dpi.
const LABEL_W: u32 = 354;
const LABEL_H: u32 = 236;
/// 5 px per module at 150 dpi: a version 3 code with its quiet zone is 31 mm wide.
const MODULE_PX: u32 = 5;
const QUIET_MODULES: u32 = 4;

/// A rendered label and where its QR code's centre is, in label pixels.
pub struct Label {
    pub image: GrayImage,
    pub qr_centre: (f64, f64),
}

/// Draws the label: the pickup QR on the left, and on the right dark bars where the
/// name, phone tail and order number print (text is clutter the decoder must ignore).
pub fn render_label(qr: &PickupQr) -> Result<Label, FrameError> {
    let code = qr.to_qr_code().map_err(|e| FrameError::Image {
        path: "generated label".into(),
        reason: e.to_string(),
    })?;
    let modules = code.width() as u32;
    let colors = code.to_colors();
    let mut image = GrayImage::from_pixel(LABEL_W, LABEL_H, image::Luma([255]));
    let left = 8 + QUIET_MODULES * MODULE_PX;
    let top = (LABEL_H.saturating_sub(modules * MODULE_PX)) / 2;
    for (i, color) in colors.iter().enumerate() {
        if *color != qrcode::Color::Dark {
            continue;
        }
        let (mx, my) = (i as u32 % modules, i as u32 / modules);
        for dy in 0..MODULE_PX {
            for dx in 0..MODULE_PX {
                image.put_pixel(
                    left + mx * MODULE_PX + dx,
                    top + my * MODULE_PX + dy,
                    image::Luma([0]),
                );
            }
        }
    }
    let text_left = left + (modules + QUIET_MODULES) * MODULE_PX;
    for (line, len) in [(0u32, 110u32), (1, 70), (2, 125), (3, 90)] {
        let y0 = 40 + line * 42;
        for y in y0..y0 + 18 {
            for x in text_left..(text_left + len).min(LABEL_W - 8) {
                // Broken into "characters" so it looks like text, not a bar.
                if (x - text_left) % 20 < 16 {
                    image.put_pixel(x, y, image::Luma([0]));
                }
            }
        }
    }
    let half = f64::from(modules * MODULE_PX) / 2.0;
    Ok(Label {
        image,
        qr_centre: (f64::from(left) + half, f64::from(top) + half),
    })
}

/// How one label is photographed. [`Photo::random`] draws each from a range a counter
/// camera meets.
#[derive(Clone, Debug, PartialEq)]
pub struct Photo {
    /// Frame pixels per label pixel in a 480-line frame, more in a larger one (0.6 →
    /// modules 3 px wide; up to 1.3 keeps the whole code in frame at any turn and tilt).
    pub scale: f64,
    pub rotation_deg: f64,
    /// Perspective: how far each corner moves, as a share of the label's width.
    pub tilt: f64,
    /// Gaussian blur (defocus, shake), its sigma in module widths. Up to 0.25 the
    /// modules stay apart; past it they run into each other and reads start to fail.
    pub blur_modules: f64,
    pub noise_sigma: f64,
    /// Grey of the ink and of the paper: a dim room or a washed-out print.
    pub ink: u8,
    pub paper: u8,
    /// Strength of a lamp's reflection (0 = none), placed at a random spot on the label.
    pub glare: f64,
}

impl Photo {
    pub fn random<R: Rng>(rng: &mut R) -> Self {
        Photo {
            scale: rng.gen_range(0.6..1.3),
            rotation_deg: rng.gen_range(0.0..360.0),
            tilt: rng.gen_range(0.0..0.15),
            blur_modules: rng.gen_range(0.0..0.25),
            noise_sigma: rng.gen_range(0.0..10.0),
            ink: rng.gen_range(20..90),
            paper: rng.gen_range(150..240),
            glare: if rng.gen_bool(0.5) {
                rng.gen_range(0.2..0.5)
            } else {
                0.0
            },
        }
    }
}

/// Places `label` in a `width`×`height` frame on a grey counter top, as `photo` says,
/// with the camera aimed at the QR code (the leader or the customer aims it).
pub fn photograph<R: Rng>(
    label: &Label,
    photo: &Photo,
    width: u32,
    height: u32,
    rng: &mut R,
) -> GrayImage {
    let (lw, lh) = (
        f64::from(label.image.width()),
        f64::from(label.image.height()),
    );
    let (qx, qy) = label.qr_centre;
    let (cx, cy) = (f64::from(width) / 2.0, f64::from(height) / 2.0);
    // The same framing at any resolution: `photo` is for a 480-line frame.
    let scale = photo.scale * f64::from(height) / 480.0;
    let rotate = Homography::rotation(0.0, 0.0, photo.rotation_deg);
    let shake = photo.tilt * lw * scale;
    let corners = [(0.0, 0.0), (lw, 0.0), (lw, lh), (0.0, lh)];
    let mut placed = [(0.0, 0.0); 4];
    for (out, &(x, y)) in placed.iter_mut().zip(corners.iter()) {
        let (rx, ry) = rotate
            .apply((x - qx) * scale, (y - qy) * scale)
            .unwrap_or((0.0, 0.0));
        *out = (
            cx + rx + rng.gen_range(-shake..=shake),
            cy + ry + rng.gen_range(-shake..=shake),
        );
    }
    // Each frame pixel looks up the label pixel it shows; off the label is the counter.
    // A label shrunk to a point (scale 0) leaves an empty counter.
    let mut img = match Homography::from_quads(placed, corners) {
        Some(frame_to_label) => warp::warp(&label.image, width, height, &frame_to_label, 110),
        None => GrayImage::from_pixel(width, height, image::Luma([110])),
    };
    let (ink, paper) = (f64::from(photo.ink), f64::from(photo.paper));
    for p in img.pixels_mut() {
        p.0[0] = (ink + (paper - ink) * f64::from(p.0[0]) / 255.0).round() as u8;
    }
    img = warp::blur(
        &img,
        (photo.blur_modules * f64::from(MODULE_PX) * scale) as f32,
    );
    if photo.glare > 0.0 {
        let radius = lh * scale * 0.4;
        let (gx, gy) = (
            cx + rng.gen_range(-radius..=radius),
            cy + rng.gen_range(-radius..=radius),
        );
        warp::add_glare(&mut img, gx, gy, radius, photo.glare);
    }
    warp::add_noise(&mut img, photo.noise_sigma, rng);
    img
}

/// A generated label photo and the payload it carries.
pub struct LabelShot {
    pub qr: PickupQr,
    pub photo: Photo,
    pub frame: Frame,
}

/// A frame source of label photos with random payloads and random [`Photo`]s, fully
/// determined by its seed so a failure can be replayed.
pub struct LabelFrames {
    rng: StdRng,
    point: PointId,
    width: u32,
    height: u32,
    open: bool,
}

impl LabelFrames {
    pub fn new(seed: u64, width: u32, height: u32) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        let point = PointId(uuid::Uuid::from_u128(rng.gen()));
        LabelFrames {
            rng,
            point,
            width,
            height,
            open: false,
        }
    }

    /// The next label photo, with the payload it should decode to.
    pub fn next_shot(&mut self) -> Result<LabelShot, FrameError> {
        if !self.open {
            return Err(FrameError::NotOpen);
        }
        let code = PickupCode::parse(&format!("{:07}", self.rng.gen_range(0..10_000_000)))
            .map_err(|e| FrameError::Image {
                path: "generated label".into(),
                reason: e.to_string(),
            })?;
        let qr = PickupQr::new(self.point, code);
        let photo = Photo::random(&mut self.rng);
        let image = photograph(
            &render_label(&qr)?,
            &photo,
            self.width,
            self.height,
            &mut self.rng,
        );
        Ok(LabelShot {
            qr,
            photo,
            frame: Frame::new(image),
        })
    }
}

impl FrameSource for LabelFrames {
    fn open_stream(&mut self) -> Result<(), FrameError> {
        self.open = true;
        Ok(())
    }

    fn frame(&mut self) -> Result<Frame, FrameError> {
        self.next_shot().map(|shot| shot.frame)
    }
}
