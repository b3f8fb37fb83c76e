//! The two QR decoders behind one shape: an image in, the texts of every code found
//! out, and a panic turned into an error by [`guarded`].
//!
//! `rxing` (a pure-Rust port of ZXing) is the fastest and reads the most real photos;
//! `rqrr`, behind preprocessing, reads the generated label photos rxing misses (see
//! docs/decisions/0003-qr-decoder.md).

use image::GrayImage;
use rxing::common::HybridBinarizer;
use rxing::qrcode::QRCodeReader;
use rxing::{BinaryBitmap, DecodeHints, Luma8LuminanceSource, Reader};

use super::guard::{guarded, DecoderPanicked};

/// rqrr with its own row-wise adaptive threshold on a grayscale image.
pub fn rqrr_grayscale(img: &GrayImage) -> Result<Vec<String>, DecoderPanicked> {
    guarded(|| {
        let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(
            img.width() as usize,
            img.height() as usize,
            |x, y| img.get_pixel(x as u32, y as u32).0[0],
        );
        decode_grids(prepared.detect_grids())
    })
}

/// rqrr on an image that preprocessing already made black and white (0 = dark).
pub fn rqrr_binary(img: &GrayImage) -> Result<Vec<String>, DecoderPanicked> {
    guarded(|| {
        let mut prepared = rqrr::PreparedImage::prepare_from_bitmap(
            img.width() as usize,
            img.height() as usize,
            |x, y| img.get_pixel(x as u32, y as u32).0[0] < 128,
        );
        decode_grids(prepared.detect_grids())
    })
}

fn decode_grids<G: rqrr::BitGrid>(grids: Vec<rqrr::Grid<G>>) -> Vec<String> {
    grids
        .iter()
        .filter_map(|grid| {
            let mut bytes = Vec::new();
            grid.decode_to(&mut bytes).ok()?;
            Some(bytes_to_text(&bytes))
        })
        .collect()
}

/// QR byte mode carries no charset unless an ECI says so. UTF-8 is what phones write
/// today; Shift_JIS is the other charset common in the wild (Japanese codes, which
/// rqrr hands over as raw bytes); ISO-8859-1 is the standard's default and always
/// decodes.
fn bytes_to_text(bytes: &[u8]) -> String {
    if let Ok(text) = std::str::from_utf8(bytes) {
        return text.to_string();
    }
    if let Some(text) =
        encoding_rs::SHIFT_JIS.decode_without_bom_handling_and_without_replacement(bytes)
    {
        return text.into_owned();
    }
    bytes.iter().map(|&b| b as char).collect()
}

/// rxing's QR reader with ZXing's hybrid (local block) binarizer, trying harder: a
/// denser finder-pattern scan and inverted codes too.
pub fn rxing(img: &GrayImage) -> Result<Vec<String>, DecoderPanicked> {
    guarded(|| {
        let Ok(source) = Luma8LuminanceSource::new(img.as_raw().clone(), img.width(), img.height())
        else {
            return Vec::new();
        };
        let mut bitmap = BinaryBitmap::new(HybridBinarizer::new(source));
        let hints = DecodeHints {
            TryHarder: Some(true),
            AlsoInverted: Some(true),
            ..DecodeHints::default()
        };
        QRCodeReader::new()
            .decode_with_hints(&mut bitmap, &hints)
            .map(|found| vec![found.getText().to_string()])
            .unwrap_or_default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_falls_back_from_utf8_to_shift_jis_to_latin1() {
        assert_eq!(bytes_to_text("提货".as_bytes()), "提货");
        // "テスト" in Shift_JIS.
        assert_eq!(
            bytes_to_text(&[0x83, 0x65, 0x83, 0x58, 0x83, 0x67]),
            "テスト"
        );
        assert_eq!(bytes_to_text(&[0x41, 0xFF]), "Aÿ");
    }

    #[test]
    fn blank_images_decode_to_nothing() {
        let blank = GrayImage::from_pixel(64, 48, image::Luma([255]));
        assert_eq!(rqrr_grayscale(&blank), Ok(vec![]));
        assert_eq!(rqrr_binary(&blank), Ok(vec![]));
        assert_eq!(rxing(&blank), Ok(vec![]));
    }
}
