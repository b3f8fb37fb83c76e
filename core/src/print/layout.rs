//! The page machinery every document shares: a sheet that turns top-down millimetre
//! coordinates into PDF operations and breaks pages, a title block repeated on every
//! page, a table writer with fixed column widths, and text wrapping/truncation by the
//! font's real glyph widths (a Chinese character is about twice as wide as a digit, so
//! counting characters alone would either overflow or waste half a column).

use printpdf::{
    Color, FontId, Greyscale, Line, LinePoint, Mm, Op, PaintMode, PdfDocument, PdfFontHandle,
    PdfPage, PdfSaveOptions, Point, Pt, Rect, TextItem,
};

use super::PrintFont;

pub(crate) const MM_PER_PT: f32 = 25.4 / 72.0;

const A4_WIDTH_MM: f32 = 210.0;
const A4_HEIGHT_MM: f32 = 297.0;
const A4_MARGIN_MM: f32 = 12.0;
/// Room kept at the bottom of an A4 page for the page number.
const FOOTER_MM: f32 = 8.0;

/// Body text size of tables and blocks.
pub(crate) const BODY_PT: f32 = 9.0;
/// The small English beside or below a Chinese label.
pub(crate) const SMALL_PT: f32 = 6.5;

/// Ink levels (PDF grey: 0 is black, 1 is white).
pub(crate) const BLACK: f32 = 0.0;
pub(crate) const GREY: f32 = 0.4;
const RULE_GREY: f32 = 0.7;
const HEADER_FILL: f32 = 0.9;

const CELL_PAD_MM: f32 = 1.5;

/// Line height for text of `size_pt`.
pub(crate) fn line_mm(size_pt: f32) -> f32 {
    size_pt * 1.35 * MM_PER_PT
}

/// From the top of a line to its baseline.
fn ascent_mm(size_pt: f32) -> f32 {
    size_pt * 1.05 * MM_PER_PT
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Align {
    Left,
    Right,
    Center,
}

/// The title block of a document, printed at the top of every page so a loose
/// second page still says whose it is.
pub(crate) struct Heading {
    pub title: &'static str,
    pub title_en: &'static str,
    /// Label and value pairs (who, which wave, which day), laid out in two columns.
    pub facts: Vec<(&'static str, String)>,
}

/// The title line, each line of two facts, and the gap to the rule under them.
const TITLE_MM: f32 = 9.0;
const FACT_ROW_MM: f32 = 5.0;
const HEADING_GAP_MM: f32 = 3.0;

impl Heading {
    fn height(&self) -> f32 {
        TITLE_MM + self.facts.len().div_ceil(2) as f32 * FACT_ROW_MM + HEADING_GAP_MM
    }
}

/// A document being drawn: pages of PDF operations, a cursor measured in
/// millimetres from the top of the page, and page breaks.
pub(crate) struct Sheet<'f> {
    font: &'f PrintFont,
    font_id: FontId,
    doc: PdfDocument,
    width: f32,
    height: f32,
    margin: f32,
    footer: f32,
    heading: Option<Heading>,
    pages: Vec<Vec<Op>>,
    ops: Vec<Op>,
    y: f32,
}

impl<'f> Sheet<'f> {
    /// An A4 document whose every page starts with `heading` and ends with its number.
    pub fn a4(font: &'f PrintFont, heading: Heading) -> Self {
        let mut sheet = Sheet::blank(
            font,
            heading.title,
            A4_WIDTH_MM,
            A4_HEIGHT_MM,
            A4_MARGIN_MM,
            FOOTER_MM,
        );
        sheet.heading = Some(heading);
        sheet.draw_heading();
        sheet
    }

    /// Pages of `width`×`height` mm with no heading or page number (labels). The
    /// caller starts each page with [`Sheet::new_page`].
    pub fn small_pages(
        font: &'f PrintFont,
        title: &str,
        width: f32,
        height: f32,
        margin: f32,
    ) -> Self {
        Sheet::blank(font, title, width, height, margin, 0.0)
    }

    fn blank(
        font: &'f PrintFont,
        title: &str,
        width: f32,
        height: f32,
        margin: f32,
        footer: f32,
    ) -> Self {
        let mut doc = PdfDocument::new(title);
        let font_id = doc.add_font(font.parsed());
        Sheet {
            font,
            font_id,
            doc,
            width,
            height,
            margin,
            footer,
            heading: None,
            pages: Vec::new(),
            ops: Vec::new(),
            y: margin,
        }
    }

    pub fn font(&self) -> &'f PrintFont {
        self.font
    }

    pub fn left(&self) -> f32 {
        self.margin
    }

    pub fn right(&self) -> f32 {
        self.width - self.margin
    }

    pub fn y(&self) -> f32 {
        self.y
    }

    pub fn advance(&mut self, mm: f32) {
        self.y += mm;
    }

    fn bottom(&self) -> f32 {
        self.height - self.margin - self.footer
    }

    /// Room left below the cursor on this page.
    pub fn remaining(&self) -> f32 {
        self.bottom() - self.y
    }

    /// Starts a page once `height` mm no longer fit on this one. Returns whether it did.
    pub fn keep(&mut self, height: f32) -> bool {
        if height > self.remaining() {
            self.new_page();
            true
        } else {
            false
        }
    }

    /// Closes the current page (if any) and starts the next, heading included.
    pub fn new_page(&mut self) {
        if !self.ops.is_empty() || self.heading.is_some() {
            self.pages.push(std::mem::take(&mut self.ops));
        }
        self.y = self.margin;
        self.draw_heading();
    }

    /// Room a fresh page offers below its heading: a block taller than this cannot be
    /// kept together and has to break.
    pub fn fresh_page_room(&self) -> f32 {
        self.bottom() - self.margin - self.heading_height()
    }

    fn heading_height(&self) -> f32 {
        self.heading.as_ref().map_or(0.0, Heading::height)
    }

    fn draw_heading(&mut self) {
        let Some(heading) = self.heading.take() else {
            return;
        };
        let top = self.y;
        let x = self.left();
        self.text(x, top + 6.5, 16.0, heading.title, Align::Left, BLACK);
        let title_w = self.font.width_mm(heading.title, 16.0);
        self.text(
            x + title_w + 2.5,
            top + 6.5,
            9.0,
            heading.title_en,
            Align::Left,
            GREY,
        );
        let col_w = (self.right() - x) / 2.0;
        for (i, (label, value)) in heading.facts.iter().enumerate() {
            let fx = x + (i % 2) as f32 * col_w;
            let fy = top + TITLE_MM + (i / 2) as f32 * FACT_ROW_MM + 3.5;
            self.text(fx, fy, SMALL_PT + 0.5, label, Align::Left, GREY);
            let label_w = 24.0;
            let value = fit(self.font, value, BODY_PT, col_w - label_w - 2.0);
            self.text(fx + label_w, fy, BODY_PT, &value, Align::Left, BLACK);
        }
        self.y = top + heading.height();
        let (l, r, y) = (self.left(), self.right(), self.y - 1.5);
        self.hline(l, r, y, 0.6, BLACK);
        self.heading = Some(heading);
    }

    /// One line of text with its baseline at `y`; `x` is the left edge, the right
    /// edge or the centre depending on `align`.
    pub fn text(&mut self, x: f32, y: f32, size_pt: f32, text: &str, align: Align, grey: f32) {
        if text.is_empty() {
            return;
        }
        let x = match align {
            Align::Left => x,
            Align::Right => x - self.font.width_mm(text, size_pt),
            Align::Center => x - self.font.width_mm(text, size_pt) / 2.0,
        };
        self.ops.extend([
            Op::SetFillColor {
                col: grey_ink(grey),
            },
            Op::StartTextSection,
            Op::SetFont {
                font: PdfFontHandle::External(self.font_id.clone()),
                size: Pt(size_pt),
            },
            Op::SetTextCursor {
                pos: self.point(x, y),
            },
            Op::ShowText {
                items: vec![TextItem::Text(text.to_owned())],
            },
            Op::EndTextSection,
        ]);
    }

    pub fn hline(&mut self, x1: f32, x2: f32, y: f32, thickness_pt: f32, grey: f32) {
        self.line(x1, y, x2, y, thickness_pt, grey);
    }

    pub fn line(&mut self, x1: f32, y1: f32, x2: f32, y2: f32, thickness_pt: f32, grey: f32) {
        let points = vec![
            LinePoint {
                p: self.point(x1, y1),
                bezier: false,
            },
            LinePoint {
                p: self.point(x2, y2),
                bezier: false,
            },
        ];
        self.ops.extend([
            Op::SetOutlineColor {
                col: grey_ink(grey),
            },
            Op::SetOutlineThickness {
                pt: Pt(thickness_pt),
            },
            Op::DrawLine {
                line: Line {
                    points,
                    is_closed: false,
                },
            },
        ]);
    }

    /// A filled rectangle whose top-left corner is at (`x`, `y`).
    pub fn fill_rect(&mut self, x: f32, y: f32, w: f32, h: f32, grey: f32) {
        let corner = self.point(x, y + h);
        self.ops.extend([
            Op::SetFillColor {
                col: grey_ink(grey),
            },
            Op::DrawRectangle {
                rectangle: Rect {
                    mode: Some(PaintMode::Fill),
                    ..Rect::from_xywh(corner.x, corner.y, Mm(w).into(), Mm(h).into())
                },
            },
        ]);
    }

    fn point(&self, x: f32, y_from_top: f32) -> Point {
        Point {
            x: Mm(x).into(),
            y: Mm(self.height - y_from_top).into(),
        }
    }

    /// The finished PDF. A4 documents get "第 n / N 页" under every page; the font is
    /// subset to the characters actually printed.
    pub fn finish(mut self) -> Vec<u8> {
        if !self.ops.is_empty() || self.heading.is_some() {
            self.pages.push(std::mem::take(&mut self.ops));
        }
        let total = self.pages.len();
        let mut pages = std::mem::take(&mut self.pages);
        if self.heading.is_some() {
            for (i, page) in pages.iter_mut().enumerate() {
                let number = format!("第 {} / {} 页   Page {} of {}", i + 1, total, i + 1, total);
                let y = self.height - self.margin;
                self.text(
                    self.width / 2.0,
                    y,
                    SMALL_PT + 0.5,
                    &number,
                    Align::Center,
                    GREY,
                );
                page.append(&mut self.ops);
            }
        }
        let pages = pages
            .into_iter()
            .map(|ops| PdfPage::new(Mm(self.width), Mm(self.height), ops))
            .collect();
        let options = PdfSaveOptions {
            subset_fonts: true,
            ..PdfSaveOptions::default()
        };
        self.doc.with_pages(pages).save(&options, &mut Vec::new())
    }
}

fn grey_ink(level: f32) -> Color {
    Color::Greyscale(Greyscale::new(level, None))
}

/// One column of a [`Table`]: a Chinese label, its English below, a width in mm
/// (0 for "the rest").
pub(crate) struct Column {
    pub zh: &'static str,
    pub en: &'static str,
    pub width: f32,
    pub align: Align,
}

impl Column {
    pub const fn new(zh: &'static str, en: &'static str, width: f32, align: Align) -> Self {
        Column {
            zh,
            en,
            width,
            align,
        }
    }
}

/// How many wrapped lines one cell may take: a row never outgrows a page, and a
/// runaway product name does not push the rest of the list off the sheet.
const MAX_CELL_LINES: usize = 12;

/// A table with fixed column widths whose header repeats after every page break.
pub(crate) struct Table {
    x: f32,
    columns: Vec<Column>,
}

impl Table {
    /// A table from `x` to `right`. Columns of width 0 share whatever the others leave,
    /// so the table always spans the page.
    pub fn new(x: f32, right: f32, mut columns: Vec<Column>) -> Self {
        let fixed: f32 = columns.iter().map(|c| c.width).sum();
        let flexible = columns.iter().filter(|c| c.width == 0.0).count();
        if flexible > 0 {
            let share = ((right - x - fixed) / flexible as f32).max(10.0);
            for col in columns.iter_mut().filter(|c| c.width == 0.0) {
                col.width = share;
            }
        }
        Table { x, columns }
    }

    pub fn width(&self) -> f32 {
        self.columns.iter().map(|c| c.width).sum()
    }

    pub fn header_height(&self) -> f32 {
        line_mm(BODY_PT) + line_mm(SMALL_PT) + 2.0
    }

    /// The column labels on a grey band.
    pub fn header(&self, sheet: &mut Sheet) {
        let (top, h) = (sheet.y(), self.header_height());
        sheet.fill_rect(self.x, top, self.width(), h, HEADER_FILL);
        let mut x = self.x;
        for col in &self.columns {
            let tx = cell_anchor(x, col);
            sheet.text(
                tx,
                top + 1.0 + ascent_mm(BODY_PT),
                BODY_PT,
                col.zh,
                col.align,
                BLACK,
            );
            let en_y = top + 1.0 + line_mm(BODY_PT) + ascent_mm(SMALL_PT) - 0.6;
            sheet.text(tx, en_y, SMALL_PT, col.en, col.align, GREY);
            x += col.width;
        }
        sheet.advance(h);
    }

    fn wrapped(&self, font: &PrintFont, cells: &[String], size: f32) -> Vec<Vec<String>> {
        self.columns
            .iter()
            .zip(cells)
            .map(|(col, text)| {
                wrap(
                    font,
                    text,
                    size,
                    col.width - 2.0 * CELL_PAD_MM,
                    MAX_CELL_LINES,
                )
            })
            .collect()
    }

    pub fn row_height(&self, font: &PrintFont, cells: &[String]) -> f32 {
        let lines = self
            .wrapped(font, cells, BODY_PT)
            .iter()
            .map(Vec::len)
            .max()
            .unwrap_or(1)
            .max(1);
        lines as f32 * line_mm(BODY_PT) + 2.0 * CELL_PAD_MM
    }

    /// One row, wrapped to its columns. If it does not fit, it goes to the next page
    /// under a repeated header.
    pub fn row(&self, sheet: &mut Sheet, cells: &[String]) {
        self.plain_row(sheet, cells);
        let (x, y) = (self.x, sheet.y());
        sheet.hline(x, x + self.width(), y, 0.3, RULE_GREY);
    }

    /// A row without the rule below it, for a block of lines that belong together.
    pub fn plain_row(&self, sheet: &mut Sheet, cells: &[String]) {
        let h = self.row_height(sheet.font(), cells);
        if sheet.keep(h) {
            self.header(sheet);
        }
        self.draw_row(sheet, cells, h);
    }

    /// The totals row, under a heavier rule. It stays on one page with the
    /// `keep_with` mm that follow it (signatures, further totals), under a repeated
    /// header if that means a new page, so totals are never orphaned without labels.
    pub fn total_row(&self, sheet: &mut Sheet, cells: &[String], keep_with: f32) {
        let h = self.row_height(sheet.font(), cells);
        if sheet.keep(h + keep_with) {
            self.header(sheet);
        }
        let (x, y) = (self.x, sheet.y());
        sheet.hline(x, x + self.width(), y, 0.8, BLACK);
        self.draw_row(sheet, cells, h);
    }

    fn draw_row(&self, sheet: &mut Sheet, cells: &[String], h: f32) {
        let top = sheet.y();
        let wrapped = self.wrapped(sheet.font(), cells, BODY_PT);
        let mut x = self.x;
        for (col, lines) in self.columns.iter().zip(&wrapped) {
            let tx = cell_anchor(x, col);
            for (i, line) in lines.iter().enumerate() {
                let y = top + CELL_PAD_MM + i as f32 * line_mm(BODY_PT) + ascent_mm(BODY_PT);
                sheet.text(tx, y, BODY_PT, line, col.align, BLACK);
            }
            x += col.width;
        }
        sheet.advance(h);
    }
}

fn cell_anchor(x: f32, col: &Column) -> f32 {
    match col.align {
        Align::Left => x + CELL_PAD_MM,
        Align::Right => x + col.width - CELL_PAD_MM,
        Align::Center => x + col.width / 2.0,
    }
}

const ELLIPSIS: char = '…';

/// `text` on one line of at most `width` mm, cut with "…" when it is longer.
pub(crate) fn fit(font: &PrintFont, text: &str, size_pt: f32, width: f32) -> String {
    let text = text.replace('\n', " ");
    if font.width_mm(&text, size_pt) <= width {
        return text;
    }
    let room = width - font.width_mm("…", size_pt);
    let mut out = String::new();
    let mut used = 0.0;
    for c in text.chars() {
        let w = font.width_mm(c.encode_utf8(&mut [0; 4]), size_pt);
        if used + w > room {
            break;
        }
        used += w;
        out.push(c);
    }
    out.push(ELLIPSIS);
    out
}

/// `text` broken into lines of at most `width` mm, at most `max_lines` of them (the
/// last one cut with "…"). Explicit newlines start a new line. Chinese breaks between
/// any two characters; a run of Latin letters or digits breaks at a space when it can,
/// so an English word or a spec like "500g×2" stays whole.
pub(crate) fn wrap(
    font: &PrintFont,
    text: &str,
    size_pt: f32,
    width: f32,
    max_lines: usize,
) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for paragraph in text.split('\n') {
        let mut line = String::new();
        for c in paragraph.chars() {
            line.push(c);
            // A character wider than the whole column still has to go somewhere.
            if font.width_mm(&line, size_pt) <= width || line.len() == c.len_utf8() {
                continue;
            }
            line.pop();
            let carry = match line.rfind(' ') {
                Some(space) if c.is_ascii_alphanumeric() && space > 0 => {
                    let rest = line[space + 1..].to_owned();
                    line.truncate(space);
                    rest
                }
                _ => String::new(),
            };
            lines.push(std::mem::take(&mut line));
            line = carry;
            if !(c == ' ' && line.is_empty()) {
                line.push(c);
            }
        }
        lines.push(line);
    }
    let max_lines = max_lines.max(1);
    if lines.len() > max_lines {
        let rest = lines.split_off(max_lines - 1).concat();
        lines.push(fit(font, &format!("{rest}{ELLIPSIS}"), size_pt, width));
    }
    lines
}

/// The gap between a table's totals and the signatures under it.
pub(crate) const SIGN_GAP_MM: f32 = 4.0;

/// The height of [`sign_lines`].
pub(crate) const SIGN_LINES_MM: f32 = 12.0;

/// Blanks to sign on paper, side by side across the page: "签收 Signature ______",
/// with a value already printed on the blank where one is known (the acceptance time).
/// Kept together with the room above them so a signature never sits alone on a page.
pub(crate) fn sign_lines(sheet: &mut Sheet, blanks: &[(&str, &str, &str)]) {
    let height = SIGN_LINES_MM;
    sheet.keep(height);
    let y = sheet.y() + 9.0;
    let (left, right) = (sheet.left(), sheet.right());
    let slot = (right - left) / blanks.len().max(1) as f32;
    for (i, (zh, en, value)) in blanks.iter().enumerate() {
        let x = left + i as f32 * slot;
        sheet.text(x, y, BODY_PT, zh, Align::Left, BLACK);
        let zh_w = sheet.font().width_mm(zh, BODY_PT);
        sheet.text(x + zh_w + 1.0, y, SMALL_PT, en, Align::Left, GREY);
        let line_from = x + zh_w + 3.0 + sheet.font().width_mm(en, SMALL_PT);
        let line_to = x + slot - 4.0;
        let value = fit(sheet.font(), value, BODY_PT, line_to - line_from - 2.0);
        sheet.text(
            line_from + 1.0,
            y - 0.3,
            BODY_PT,
            &value,
            Align::Left,
            BLACK,
        );
        sheet.hline(line_from, line_to, y + 0.8, 0.5, BLACK);
    }
    sheet.advance(height);
}
