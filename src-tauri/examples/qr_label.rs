//! Draws a pickup QR payload as the bag label the camera reads (a PNG), so the
//! end-to-end test can hold a real order's label up to the camera's frame source.
//!
//!   qr_label PAYLOAD OUT.png

use linli_core::pickup_qr::PickupQr;
use linli_core::scanner::label::render_label;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(payload), Some(out)) = (args.next(), args.next()) else {
        return Err("usage: qr_label PAYLOAD OUT.png".into());
    };
    let qr = PickupQr::parse(&payload)?;
    render_label(&qr)?.image.save(&out)?;
    Ok(())
}
