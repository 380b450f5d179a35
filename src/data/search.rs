//! Quick search: rows where any of the chosen columns contains a piece of text,
//! ignoring case.
//!
//! Cells are matched on their raw text form (as copied: `1234`, `2026-01-05T10:00:00.123Z`,
//! compact JSON, so `Incorrect` finds the feedback whose reasons the grid lists as
//! `Incorrect · Outdated docs`); booleans also on the marks the grid shows (`✔` or `✓` finds
//! `true`, `✖`, `✗` or `✘` finds `false`); nulls never match. The work is column by column over a range of
//! table rows: plain text columns are scanned as one buffer with `memchr` on the
//! rarest byte of the needle, dictionary columns test each distinct value once.
//! A [`SearchCursor`] does a chunk of rows per [`step`](SearchCursor::step), so the
//! search can run off the UI thread or a slice per frame; the result is a filter
//! over any view (sorted or not), so sort and search compose.
//!
//! Case folding is Unicode `to_lowercase` on both sides; when the lowercased
//! needle is ASCII (the common case) it is matched byte-wise with ASCII case
//! folding and never allocates.

use super::display::{FALSE_SEARCH_MARKS, TRUE_SEARCH_MARKS};
use super::storage::{Bitmap, StrBuf, TextColumn};
use super::table::{Column, ColumnData, ResultTable, TimestampText, write_float};
use super::time;

/// Rows of `base` (in `base` order) where any of `columns` contains `needle`,
/// ignoring case. An empty needle matches every row.
pub fn search_view(table: &ResultTable, base: &[u32], columns: &[usize], needle: &str) -> Vec<u32> {
    let mut cursor = SearchCursor::new(table, columns, needle);
    cursor.step(table, usize::MAX);
    cursor.filter(base)
}

/// An incremental search over one table: call [`step`](SearchCursor::step) until
/// it returns true, then [`filter`](SearchCursor::filter) any view.
///
/// It owns no reference to the table, so it can live in UI state or move to a
/// worker; pass the same table to every step.
#[derive(Debug, Clone)]
pub struct SearchCursor {
    needle: Needle,
    columns: Vec<usize>,
    row_count: usize,
    next_row: usize,
    matched: Bitmap,
    /// Per searched column, for dictionary columns: which distinct values match.
    dictionary_matches: Vec<Option<Vec<bool>>>,
}

impl SearchCursor {
    /// A search for `needle` over `columns` of `table`; nothing is scanned yet.
    pub fn new(table: &ResultTable, columns: &[usize], needle: &str) -> SearchCursor {
        let row_count = table.row_count();
        let needle = Needle::new(needle);
        let everything = needle.lower.is_empty();
        SearchCursor {
            needle,
            columns: columns.to_vec(),
            row_count,
            next_row: if everything { row_count } else { 0 },
            matched: Bitmap::filled(row_count, everything),
            dictionary_matches: vec![None; columns.len()],
        }
    }

    /// The text searched for, as given.
    pub fn needle(&self) -> &str {
        &self.needle.original
    }

    /// True when every row has been looked at.
    pub fn is_done(&self) -> bool {
        self.next_row >= self.row_count
    }

    /// Table rows looked at so far (out of [`SearchCursor::row_count`]).
    pub fn rows_done(&self) -> usize {
        self.next_row.min(self.row_count)
    }

    /// Rows of the table searched.
    pub fn row_count(&self) -> usize {
        self.row_count
    }

    /// Matching rows found so far.
    pub fn match_count(&self) -> usize {
        self.matched.count_ones()
    }

    /// True when table row `row` matched (so far).
    pub fn is_match(&self, row: u32) -> bool {
        self.matched.get(row as usize)
    }

    /// The rows of `base` that matched so far, in `base` order.
    pub fn filter(&self, base: &[u32]) -> Vec<u32> {
        base.iter().copied().filter(|&row| self.matched.get(row as usize)).collect()
    }

    /// Searches up to `max_rows` (at least one) more table rows; returns true when done.
    pub fn step(&mut self, table: &ResultTable, max_rows: usize) -> bool {
        if self.is_done() {
            return true;
        }
        let start = self.next_row;
        let end = start.saturating_add(max_rows.max(1)).min(self.row_count).min(table.row_count().max(start));
        for index in 0..self.columns.len() {
            let Some(column) = self.columns.get(index).and_then(|&col| table.column(col)) else {
                continue;
            };
            self.search_column(index, column, start, end);
        }
        self.next_row = if end > start { end } else { self.row_count };
        self.is_done()
    }

    fn search_column(&mut self, index: usize, column: &Column, start: usize, end: usize) {
        let needle = &self.needle;
        let matched = &mut self.matched;
        match &column.data {
            ColumnData::Text(text)
            | ColumnData::Json(text)
            | ColumnData::Timestamp { text: TimestampText::Stored(text), .. } => match text {
                TextColumn::Plain(buf) => search_plain(buf, needle, start, end, matched),
                TextColumn::Dict { values, codes } => {
                    let slot = self.dictionary_matches.get_mut(index);
                    let Some(slot) = slot else { return };
                    let hits = slot.get_or_insert_with(|| {
                        (0..values.len()).map(|code| needle.is_in(values.get(code))).collect()
                    });
                    for row in start..end {
                        let hit = codes.get(row).and_then(|&code| hits.get(code as usize)).copied();
                        if hit == Some(true) {
                            matched.set(row, true);
                        }
                    }
                }
            },
            ColumnData::Timestamp { millis, text: TimestampText::Layout(layout) } => {
                if needle.could_be_in(b"0123456789-:.tz") {
                    search_formatted(column, start, end, needle, matched, |row, out| {
                        time::format_strict(millis.get(row).copied().unwrap_or(0), *layout, out)
                    });
                }
            }
            ColumnData::Int(values) => {
                if needle.could_be_in(b"0123456789-") {
                    let mut buf = [0u8; 24];
                    search_formatted(column, start, end, needle, matched, |row, out| {
                        let digits = format_i64(values.get(row).copied().unwrap_or(0), &mut buf);
                        out.push_str(std::str::from_utf8(digits).unwrap_or_default());
                    });
                }
            }
            ColumnData::Float(values) => {
                if needle.could_be_in(b"0123456789-+.e") {
                    search_formatted(column, start, end, needle, matched, |row, out| {
                        write_float(values.get(row).copied().unwrap_or(0.0), out)
                    });
                }
            }
            ColumnData::Bool(values) => {
                // Booleans match their raw text and the marks the grid shows (✔ / ✖, or ✓ / ✗ / ✘).
                let in_true = needle.is_in("true") || TRUE_SEARCH_MARKS.iter().any(|mark| needle.is_in(mark));
                let in_false =
                    needle.is_in("false") || FALSE_SEARCH_MARKS.iter().any(|mark| needle.is_in(mark));
                for row in start..end {
                    if !column.is_null(row) && if values.get(row) { in_true } else { in_false } {
                        matched.set(row, true);
                    }
                }
            }
        }
    }
}

/// The search text, lowercased, with what the fast scan needs.
#[derive(Debug, Clone)]
struct Needle {
    original: String,
    lower: String,
    /// The lowercased needle is ASCII: match byte-wise.
    ascii: bool,
    /// Index in `lower` of the byte the scan looks for (the rarest one).
    anchor: usize,
    /// For ASCII needles without letters, where case does not matter: a SIMD substring finder.
    exact: Option<memchr::memmem::Finder<'static>>,
}

impl Needle {
    fn new(text: &str) -> Needle {
        let lower = text.to_lowercase();
        let ascii = lower.is_ascii();
        let anchor =
            lower.bytes().enumerate().min_by_key(|&(_, byte)| commonness(byte)).map_or(0, |(index, _)| index);
        let caseless = ascii && !lower.bytes().any(|b| b.is_ascii_alphabetic());
        let exact = caseless.then(|| memchr::memmem::Finder::new(lower.as_bytes()).into_owned());
        Needle { original: text.to_string(), lower, ascii, anchor, exact }
    }

    /// True when a cell made only of `alphabet` (lowercase) bytes could contain the needle.
    fn could_be_in(&self, alphabet: &[u8]) -> bool {
        self.ascii && self.lower.bytes().all(|b| alphabet.contains(&b))
    }

    /// Case-insensitive containment in any text.
    fn is_in(&self, haystack: &str) -> bool {
        if self.ascii {
            self.find_ascii(haystack.as_bytes(), 0).is_some()
        } else {
            // The lowercased needle has non-ASCII letters: so must the haystack.
            !haystack.is_ascii() && haystack.to_lowercase().contains(&self.lower)
        }
    }

    /// The first match at or after `from` in `haystack`, ASCII case-insensitively.
    #[inline]
    fn find_ascii(&self, haystack: &[u8], from: usize) -> Option<usize> {
        if let Some(finder) = &self.exact {
            return finder.find(haystack.get(from..)?).map(|found| from + found);
        }
        let needle = self.lower.as_bytes();
        let anchor_byte = *needle.get(self.anchor)?;
        let upper = anchor_byte.to_ascii_uppercase();
        let mut at = from + self.anchor;
        loop {
            let rest = haystack.get(at..)?;
            let found = if upper == anchor_byte {
                memchr::memchr(anchor_byte, rest)
            } else {
                memchr::memchr2(anchor_byte, upper, rest)
            }?;
            let candidate = at + found;
            let start = candidate - self.anchor;
            if haystack
                .get(start..start + needle.len())
                .is_some_and(|window| window.eq_ignore_ascii_case(needle))
            {
                return Some(start);
            }
            at = candidate + 1;
        }
    }
}

/// Scans the rows `start..end` of a plain text column as one buffer.
fn search_plain(buf: &StrBuf, needle: &Needle, start: usize, end: usize, matched: &mut Bitmap) {
    if !needle.ascii {
        for row in start..end {
            if needle.is_in(buf.get(row)) {
                matched.set(row, true);
            }
        }
        return;
    }
    let Some(offsets) = buf.offsets().get(start..=end) else { return };
    let (Some(&low), Some(&high)) = (offsets.first(), offsets.last()) else { return };
    let Some(haystack) = buf.bytes().as_bytes().get(low as usize..high as usize) else { return };
    scan_rows(haystack, offsets, start, needle, matched);
}

/// Writes the text of rows `start..end` (nulls empty) into one buffer and scans it.
fn search_formatted(
    column: &Column,
    start: usize,
    end: usize,
    needle: &Needle,
    matched: &mut Bitmap,
    mut format: impl FnMut(usize, &mut String),
) {
    let mut text = String::with_capacity((end - start) * 8);
    let mut offsets: Vec<u64> = Vec::with_capacity(end - start + 1);
    offsets.push(0);
    for row in start..end {
        if !column.is_null(row) {
            format(row, &mut text);
        }
        offsets.push(text.len() as u64);
    }
    scan_rows(text.as_bytes(), &offsets, start, needle, matched);
}

/// Marks the rows whose text holds the (ASCII) needle. The rows' texts lie back to
/// back in `haystack`, row `first_row + i` at `offsets[i]..offsets[i + 1]`, with
/// offsets counted from where `haystack` is `offsets[0]`.
fn scan_rows(haystack: &[u8], offsets: &[u64], first_row: usize, needle: &Needle, matched: &mut Bitmap) {
    let Some(&base) = offsets.first() else { return };
    let row_count = offsets.len().saturating_sub(1);
    let needle_len = needle.lower.len() as u64;
    let mut index = 0;
    let mut from = 0;
    while let Some(found) = needle.find_ascii(haystack, from) {
        let at = base + found as u64;
        // Move to the row holding the match start (rows are contiguous and ordered).
        while index < row_count && offsets.get(index + 1).is_some_and(|&row_end| row_end <= at) {
            index += 1;
        }
        let Some(&row_end) = offsets.get(index + 1) else { break };
        if at + needle_len <= row_end {
            matched.set(first_row + index, true);
            // One match per row is enough: continue with the next row.
            from = (row_end - base) as usize;
            index += 1;
        } else {
            // The match straddles two rows: not a match; look further.
            from = found + 1;
        }
    }
}

/// How common a byte is in result text (lower is rarer), to pick the scan anchor.
fn commonness(byte: u8) -> u8 {
    const BY_FREQUENCY: &[u8] = b"etaoinsrhldcumfpgwybvkxjqz";
    match byte {
        b'"' | b':' | b',' | b' ' => 255,
        b'a'..=b'z' => {
            100 + (BY_FREQUENCY.len() - BY_FREQUENCY.iter().position(|&b| b == byte).unwrap_or(0)) as u8
        }
        b'0'..=b'9' | b'-' | b'_' | b'.' | b'{' | b'}' => 150,
        _ => 50,
    }
}

/// `value` in decimal, written into the end of `buf`.
fn format_i64(value: i64, buf: &mut [u8; 24]) -> &[u8] {
    let mut magnitude = value.unsigned_abs();
    let mut start = buf.len();
    loop {
        start -= 1;
        if let Some(slot) = buf.get_mut(start) {
            *slot = b'0' + (magnitude % 10) as u8;
        }
        magnitude /= 10;
        if magnitude == 0 {
            break;
        }
    }
    if value < 0 {
        start -= 1;
        if let Some(slot) = buf.get_mut(start) {
            *slot = b'-';
        }
    }
    buf.get(start..).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_i64_matches_to_string() {
        let mut buf = [0u8; 24];
        for value in [0, 7, -7, 1234567, i64::MAX, i64::MIN] {
            assert_eq!(format_i64(value, &mut buf), value.to_string().as_bytes());
        }
    }

    #[test]
    fn ascii_finder_ignores_case_and_finds_every_position() {
        let needle = Needle::new("ZeB");
        let hay = b"xx zebra ZEBU zEb";
        assert_eq!(needle.find_ascii(hay, 0), Some(3));
        assert_eq!(needle.find_ascii(hay, 4), Some(9));
        assert_eq!(needle.find_ascii(hay, 10), Some(14));
        assert_eq!(needle.find_ascii(hay, 15), None);
    }

    #[test]
    fn unicode_needles_fold_case() {
        assert!(Needle::new("ÉCL").is_in("un éclair"));
        assert!(!Needle::new("écl").is_in("un eclair"));
        assert!(Needle::new("straße").is_in("STRAßE"));
    }
}
