//! Excel sheets' one money rule (feature `export`): an amount is two cells, the
//! whole fen as an exact number (fen are far below 2^53, so Excel sums them
//! exactly) and the yuan text beside it — no float ever carries money.

use rust_xlsxwriter::{Format, Worksheet, XlsxError};

use crate::money::Fen;

/// Writes `fen` at (`row`, `col`) and its yuan text at `col + 1`.
pub fn amount(sheet: &mut Worksheet, row: u32, col: u16, fen: Fen) -> Result<(), XlsxError> {
    sheet.write(row, col, fen.0 as f64)?;
    sheet.write(row, col + 1, fen.to_string())?;
    Ok(())
}

/// A bold header row at `row`.
pub fn header(sheet: &mut Worksheet, row: u32, titles: &[&str]) -> Result<(), XlsxError> {
    let bold = Format::new().set_bold();
    for (col, h) in (0u16..).zip(titles) {
        sheet.write_with_format(row, col, *h, &bold)?;
    }
    Ok(())
}
