//! Printed documents, built once here so the counter app and the sync server print
//! the same paper: purchase orders, delivery sheets, the point's pick list, the
//! delivery check sheet, bag labels and commission statements.
//!
//! Each document is a pure function from plain data (Strings, [`Fen`](crate::money::Fen),
//! `u32`) to PDF bytes; the shells map their own records into these structs and send
//! the bytes to the system printer.
//!
//! Chinese text needs an embedded CJK font. It must have TrueType (`glyf`) outlines,
//! which printpdf subsets on save so a one-page document stays in the tens of KiB
//! instead of carrying the whole 5 MB font. Noto CJK as Debian ships it is CFF, and
//! Droid Sans Fallback has no Latin letters, digits or ¥ at all (it is only a
//! fallback), so the default is WenQuanYi Micro Hei from the Debian package
//! `fonts-wqy-microhei` (Apache-2.0 or GPL-3+ with font exception): Droid's CJK plus
//! Droid Sans' Latin in one face. The font is read at run time, once, through
//! [`FontSource`].

mod bag_labels;
mod commission_statement;
mod delivery_check;
mod delivery_sheet;
mod layout;
mod pick_list;
mod purchase_order;

use std::path::{Path, PathBuf};

use printpdf::ParsedFont;

pub use bag_labels::{bag_labels, BagLabel, LABEL_HEIGHT_MM, LABEL_WIDTH_MM, QR_CENTRE_MM};
pub use commission_statement::{
    commission_statement, CommissionKind, CommissionRow, CommissionStatement,
};
pub use delivery_check::{delivery_check_sheet, CheckLine, DeliveryCheckSheet};
pub use delivery_sheet::{delivery_sheet, DeliverySheet, DeliveryStop, StopLine};
pub use pick_list::{pick_list, PickList, PickListLine, PickListOrder, PickStatus};
pub use purchase_order::{purchase_order, PurchaseOrder, PurchaseOrderLine};

/// Where Debian's `fonts-wqy-microhei` installs its font (a collection: face 0 is
/// the proportional Micro Hei, face 1 the monospaced one).
pub const DEBIAN_FONT_PATH: &str = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc";

/// The Debian package that provides [`DEBIAN_FONT_PATH`].
pub const DEBIAN_FONT_PACKAGE: &str = "fonts-wqy-microhei";

/// Anything that stops a document from being printed.
#[derive(Debug, thiserror::Error)]
pub enum PrintError {
    #[error(
        "cannot read the print font {path}: {source} \
         (install the Debian package {DEBIAN_FONT_PACKAGE} or configure a font path)"
    )]
    FontUnreadable {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not a TrueType/OpenType font")]
    FontInvalid { path: PathBuf },
    #[error(
        "{path} has CFF outlines; printing needs a font with TrueType (glyf) outlines, \
         e.g. {DEBIAN_FONT_PATH}"
    )]
    FontNotTrueType { path: PathBuf },
    #[error(
        "{path} lacks Chinese or Latin glyphs; printing needs a CJK font that also covers {PROBE}"
    )]
    FontIncomplete { path: PathBuf },
    #[error("the amounts of {what} overflow")]
    AmountOverflow { what: String },
    #[error("order {order}: the pickup QR payload does not fit in a QR code ({reason})")]
    QrPayload { order: String, reason: String },
    #[error("there is nothing to print: {what} is empty")]
    NothingToPrint { what: &'static str },
}

/// Which font file to print with: an explicit path, or else Debian's standard location.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FontSource {
    path: Option<PathBuf>,
}

impl FontSource {
    /// The font of [`DEBIAN_FONT_PACKAGE`] at [`DEBIAN_FONT_PATH`].
    pub fn debian() -> Self {
        FontSource { path: None }
    }

    /// A font file chosen by configuration (a `.ttf`, or the first face of a `.ttc`).
    pub fn path(path: impl Into<PathBuf>) -> Self {
        FontSource {
            path: Some(path.into()),
        }
    }

    pub fn resolved_path(&self) -> &Path {
        self.path
            .as_deref()
            .unwrap_or_else(|| Path::new(DEBIAN_FONT_PATH))
    }

    /// Reads and checks the font. Do this once at start-up and keep the result: parsing
    /// a 5 MB CJK font takes far longer than laying out a page.
    pub fn load(&self) -> Result<PrintFont, PrintError> {
        let path = self.resolved_path();
        let bytes = std::fs::read(path).map_err(|source| PrintError::FontUnreadable {
            path: path.to_owned(),
            source,
        })?;
        match first_face_outlines(&bytes) {
            Some(Outlines::TrueType) => {}
            Some(Outlines::Cff) => {
                return Err(PrintError::FontNotTrueType {
                    path: path.to_owned(),
                })
            }
            None => {
                return Err(PrintError::FontInvalid {
                    path: path.to_owned(),
                })
            }
        }
        let font = ParsedFont::from_bytes(&bytes, 0, &mut Vec::new()).ok_or_else(|| {
            PrintError::FontInvalid {
                path: path.to_owned(),
            }
        })?;
        // A Latin-only font would print every Chinese label as empty boxes, and a
        // CJK-only fallback font every order number and price.
        if PROBE
            .chars()
            .any(|c| font.lookup_glyph_index(c as u32).is_none())
        {
            return Err(PrintError::FontIncomplete {
                path: path.to_owned(),
            });
        }
        let units_per_em = f32::from(font.font_metrics.units_per_em.max(1));
        Ok(PrintFont { font, units_per_em })
    }
}

/// Characters every document prints: Chinese labels, order numbers, prices.
const PROBE: &str = "采购单提货 LL0123456789 ¥12.34 ×…";

enum Outlines {
    TrueType,
    Cff,
}

/// The outline format of a font file (of its first face, for a collection), from the
/// sfnt version tag: `OTTO` is CFF, `0x00010000` and `true` are TrueType.
fn first_face_outlines(bytes: &[u8]) -> Option<Outlines> {
    let tag = |at: usize| bytes.get(at..at + 4);
    let face = match tag(0)? {
        b"ttcf" => {
            let offset = u32::from_be_bytes(tag(12)?.try_into().ok()?);
            tag(usize::try_from(offset).ok()?)?
        }
        other => other,
    };
    match face {
        [0, 1, 0, 0] | b"true" => Some(Outlines::TrueType),
        b"OTTO" => Some(Outlines::Cff),
        _ => None,
    }
}

/// A loaded, checked print font. Cheap to share: documents borrow it.
#[derive(Debug)]
pub struct PrintFont {
    font: ParsedFont,
    units_per_em: f32,
}

impl PrintFont {
    /// The width of `text` set at `size_pt`, in millimetres, from the font's advances
    /// (a glyph the font lacks prints as `.notdef`, so it is measured as one).
    pub(crate) fn width_mm(&self, text: &str, size_pt: f32) -> f32 {
        let units: u32 = text
            .chars()
            .map(|c| {
                let glyph = self.font.lookup_glyph_index(c as u32).unwrap_or(0);
                u32::from(self.font.get_horizontal_advance(glyph))
            })
            .sum();
        units as f32 / self.units_per_em * size_pt * layout::MM_PER_PT
    }

    pub(crate) fn parsed(&self) -> &ParsedFont {
        &self.font
    }
}
