//! Sorted views: row-index vectors ordered by one or more columns.
//!
//! The order is stable (equal rows keep their previous order) and type-aware:
//! numbers numerically, timestamps chronologically, booleans `false` before
//! `true`, text case-insensitively with numbers inside text compared by value
//! (`item2` < `item10`) and accents as a tie-breaker (`eclair` < `Éclair` <
//! `ezra`). Nulls come last in both directions.
//!
//! Speed comes from turning the first key into one order-preserving `u64` per
//! row and radix-sorting those: integers, floats, timestamps and booleans map
//! exactly; dictionary text columns sort their (few) distinct values once and use
//! the rank; plain text uses the first eight bytes of its sort key and settles
//! ties on the full key. Further keys only order runs of rows the first key
//! leaves equal.

use std::cmp::Ordering;

use super::storage::TextColumn;
use super::table::{Column, ColumnData, ResultTable, TimestampText};

/// One sort key: a column and a direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SortKey {
    /// Column index in the table.
    pub column: usize,
    /// Largest first when true.
    pub descending: bool,
}

impl SortKey {
    /// Ascending by `column`.
    pub fn ascending(column: usize) -> SortKey {
        SortKey { column, descending: false }
    }

    /// Descending by `column`.
    pub fn descending(column: usize) -> SortKey {
        SortKey { column, descending: true }
    }
}

/// Every row of `table`, ordered by `keys` (most significant first). Keys naming
/// a column the table does not have are ignored; no keys gives table order.
pub fn sort_view(table: &ResultTable, keys: &[SortKey]) -> Vec<u32> {
    sort_rows(table, &table.all_rows(), keys)
}

/// `rows` (a view over `table`) reordered by `keys`; rows that compare equal keep
/// their order in `rows`.
pub fn sort_rows(table: &ResultTable, rows: &[u32], keys: &[SortKey]) -> Vec<u32> {
    let prepared: Vec<Prepared<'_>> = keys
        .iter()
        .filter_map(|key| table.column(key.column).map(|column| Prepared::new(column, key.descending, rows)))
        .collect();
    let Some(primary) = prepared.first() else {
        return rows.to_vec();
    };
    if rows.len() < 2 {
        return rows.to_vec();
    }

    let mut items: Vec<(u64, u32)> = Vec::with_capacity(rows.len());
    let mut nulls: Vec<u32> = Vec::new();
    for (position, (&key, &row)) in primary.keys.iter().zip(rows).enumerate() {
        if primary.column.is_null(row as usize) {
            nulls.push(position as u32);
        } else {
            items.push((if primary.descending { !key } else { key }, position as u32));
        }
    }
    radix_sort(&mut items);

    let mut order: Vec<u32> = Vec::with_capacity(rows.len());
    order.extend(items.iter().map(|&(_, position)| position));
    order.extend_from_slice(&nulls);

    let needs_refining = prepared.len() > 1 || !primary.exact;
    if needs_refining {
        let mut scratch = Scratch::default();
        let mut start = 0;
        while start < items.len() {
            let key = items.get(start).map_or(0, |item| item.0);
            let end = items.get(start..).map_or(start + 1, |rest| {
                start + rest.iter().position(|item| item.0 != key).unwrap_or(rest.len())
            });
            if end - start > 1
                && let Some(run) = order.get_mut(start..end)
            {
                run.sort_by(|&a, &b| compare(&prepared, a as usize, b as usize, &mut scratch));
            }
            start = end;
        }
        if prepared.len() > 1
            && let Some(run) = order.get_mut(items.len()..)
        {
            run.sort_by(|&a, &b| compare(&prepared, a as usize, b as usize, &mut scratch));
        }
    }

    order.into_iter().map(|position| rows.get(position as usize).copied().unwrap_or(0)).collect()
}

/// One key, prepared over the view's positions.
struct Prepared<'t> {
    column: &'t Column,
    rows: &'t [u32],
    descending: bool,
    /// Ascending order-preserving key per position (placeholder for nulls).
    keys: Vec<u64>,
    /// False when `keys` are only prefixes: equal keys must be settled on `text`.
    exact: bool,
    text: Option<&'t TextColumn>,
}

impl<'t> Prepared<'t> {
    fn new(column: &'t Column, descending: bool, rows: &'t [u32]) -> Prepared<'t> {
        let mut exact = true;
        let mut text = None;
        let keys: Vec<u64> = match &column.data {
            ColumnData::Int(values) | ColumnData::Timestamp { millis: values, .. } => rows
                .iter()
                .map(|&row| values.get(row as usize).map_or(0, |&v| (v as u64) ^ SIGN_BIT))
                .collect(),
            ColumnData::Float(values) => {
                rows.iter().map(|&row| values.get(row as usize).map_or(0, |&v| float_key(v))).collect()
            }
            ColumnData::Bool(values) => rows.iter().map(|&row| u64::from(values.get(row as usize))).collect(),
            ColumnData::Text(column_text) | ColumnData::Json(column_text) => match column_text {
                TextColumn::Dict { values, codes } => {
                    let ranks = dictionary_ranks(values);
                    rows.iter()
                        .map(|&row| {
                            codes
                                .get(row as usize)
                                .and_then(|&code| ranks.get(code as usize))
                                .map_or(0, |&rank| u64::from(rank))
                        })
                        .collect()
                }
                TextColumn::Plain(_) => {
                    exact = false;
                    text = Some(column_text);
                    let mut buf = Vec::with_capacity(16);
                    rows.iter()
                        .map(|&row| {
                            buf.clear();
                            natural_key(column_text.get(row as usize), &mut buf, 8);
                            prefix_u64(&buf)
                        })
                        .collect()
                }
            },
        };
        // A timestamp column with stored text still sorts by its milliseconds.
        if let ColumnData::Timestamp { text: TimestampText::Stored(_), .. } = &column.data {
            exact = true;
            text = None;
        }
        Prepared { column, rows, descending, keys, exact, text }
    }

    fn is_null(&self, position: usize) -> bool {
        self.rows.get(position).is_none_or(|&row| self.column.is_null(row as usize))
    }

    fn text(&self, position: usize) -> &str {
        match (self.text, self.rows.get(position)) {
            (Some(text), Some(&row)) => text.get(row as usize),
            _ => "",
        }
    }
}

#[derive(Default)]
struct Scratch {
    a: Vec<u8>,
    b: Vec<u8>,
}

/// Compares two positions on every key: nulls last whatever the direction, then
/// by value in the key's direction.
fn compare(keys: &[Prepared<'_>], a: usize, b: usize, scratch: &mut Scratch) -> Ordering {
    for key in keys {
        let ordering = match (key.is_null(a), key.is_null(b)) {
            (true, true) => Ordering::Equal,
            (true, false) => return Ordering::Greater,
            (false, true) => return Ordering::Less,
            (false, false) => {
                let mut ordering = key.keys.get(a).cmp(&key.keys.get(b));
                if ordering == Ordering::Equal && !key.exact {
                    scratch.a.clear();
                    scratch.b.clear();
                    natural_key(key.text(a), &mut scratch.a, usize::MAX);
                    natural_key(key.text(b), &mut scratch.b, usize::MAX);
                    ordering = scratch.a.cmp(&scratch.b);
                }
                if key.descending { ordering.reverse() } else { ordering }
            }
        };
        if ordering != Ordering::Equal {
            return ordering;
        }
    }
    Ordering::Equal
}

const SIGN_BIT: u64 = 1 << 63;

/// An order-preserving `u64` for a float: negatives below positives, NaN last.
fn float_key(value: f64) -> u64 {
    let value = if value.is_nan() {
        f64::NAN
    } else if value == 0.0 {
        0.0
    } else {
        value
    };
    let bits = value.to_bits();
    if bits & SIGN_BIT != 0 { !bits } else { bits | SIGN_BIT }
}

/// For each dictionary code, its rank among the distinct values in sort order;
/// values with equal sort keys share a rank so their rows keep their order.
fn dictionary_ranks(values: &super::storage::StrBuf) -> Vec<u32> {
    let mut keyed: Vec<(Vec<u8>, u32)> = (0..values.len())
        .map(|code| {
            let mut key = Vec::new();
            natural_key(values.get(code), &mut key, usize::MAX);
            (key, code as u32)
        })
        .collect();
    keyed.sort_unstable();
    let mut ranks = vec![0u32; values.len()];
    let mut rank = 0u32;
    for (i, (key, code)) in keyed.iter().enumerate() {
        if i > 0 && keyed.get(i - 1).is_some_and(|(previous, _)| previous != key) {
            rank += 1;
        }
        if let Some(slot) = ranks.get_mut(*code as usize) {
            *slot = rank;
        }
    }
    ranks
}

/// The first eight bytes of a sort key as a big-endian number (zero-padded).
fn prefix_u64(key: &[u8]) -> u64 {
    let mut bytes = [0u8; 8];
    for (slot, &byte) in bytes.iter_mut().zip(key) {
        *slot = byte;
    }
    u64::from_be_bytes(bytes)
}

/// Appends the sort key of `text` (at least `limit` bytes of it when it is that
/// long): comparing keys bytewise orders text case-insensitively, with runs of
/// digits by numeric value and accents ignored except to break ties.
///
/// The key is the text lowercased and with accents folded (`Éclair` → `eclair`),
/// each digit run written as `'0'`, its length without leading zeros, and the
/// digits (so a longer number sorts after a shorter one); for non-ASCII text a
/// zero byte and the lowercased text with its accents follow, to order `eclair`
/// before `éclair` without separating either from `eclairs`.
pub fn natural_key(text: &str, out: &mut Vec<u8>, limit: usize) {
    let bytes = text.as_bytes();
    let mut i = 0;
    while let Some(&byte) = bytes.get(i) {
        if out.len() >= limit {
            return;
        }
        if byte.is_ascii_digit() {
            let run_len =
                bytes.get(i..).map_or(0, |rest| rest.iter().take_while(|b| b.is_ascii_digit()).count());
            let run = bytes.get(i..i + run_len).unwrap_or_default();
            let zeros = run.iter().take_while(|&&b| b == b'0').count().min(run_len - 1);
            let digits = run.get(zeros..).unwrap_or_default();
            out.push(b'0');
            out.push(digits.len().min(255) as u8);
            out.extend_from_slice(digits);
            i += run_len;
        } else if byte < 0x80 {
            // Byte 0 separates the accent tie-breaker; a NUL in the text must not look like it.
            out.push(if byte == 0 { 1 } else { byte.to_ascii_lowercase() });
            i += 1;
        } else {
            let Some(ch) = text.get(i..).and_then(|rest| rest.chars().next()) else { return };
            i += ch.len_utf8();
            for lower in ch.to_lowercase() {
                let folded = fold_accent(lower);
                let mut utf8 = [0u8; 4];
                out.extend_from_slice(folded.encode_utf8(&mut utf8).as_bytes());
            }
        }
    }
    if !text.is_ascii() && out.len() < limit {
        out.push(0);
        for ch in text.chars().flat_map(char::to_lowercase) {
            let mut utf8 = [0u8; 4];
            out.extend_from_slice(ch.encode_utf8(&mut utf8).as_bytes());
            if out.len() >= limit {
                return;
            }
        }
    }
}

/// The base letter of a lowercase Latin letter with a diacritic (Latin-1 and
/// Latin Extended-A); any other character unchanged.
fn fold_accent(ch: char) -> char {
    match ch {
        'à'..='å' | 'ā' | 'ă' | 'ą' => 'a',
        'ç' | 'ć' | 'ĉ' | 'ċ' | 'č' => 'c',
        'ď' | 'đ' | 'ð' => 'd',
        'è'..='ë' | 'ē' | 'ĕ' | 'ė' | 'ę' | 'ě' => 'e',
        'ĝ' | 'ğ' | 'ġ' | 'ģ' => 'g',
        'ĥ' | 'ħ' => 'h',
        'ì'..='ï' | 'ĩ' | 'ī' | 'ĭ' | 'į' | 'ı' => 'i',
        'ĵ' => 'j',
        'ķ' => 'k',
        'ĺ' | 'ļ' | 'ľ' | 'ŀ' | 'ł' => 'l',
        'ñ' | 'ń' | 'ņ' | 'ň' => 'n',
        'ò'..='ö' | 'ø' | 'ō' | 'ŏ' | 'ő' => 'o',
        'ŕ' | 'ŗ' | 'ř' => 'r',
        'ś' | 'ŝ' | 'ş' | 'š' => 's',
        'ţ' | 'ť' | 'ŧ' => 't',
        'ù'..='ü' | 'ũ' | 'ū' | 'ŭ' | 'ů' | 'ű' | 'ų' => 'u',
        'ŵ' => 'w',
        'ý' | 'ÿ' | 'ŷ' => 'y',
        'ź' | 'ż' | 'ž' => 'z',
        other => other,
    }
}

/// Stable LSD radix sort on the key, one byte per pass, skipping bytes that are
/// the same in every item (small integers need one or two passes, not eight).
fn radix_sort(items: &mut Vec<(u64, u32)>) {
    let len = items.len();
    if len <= 256 {
        items.sort_by_key(|&(key, _)| key);
        return;
    }
    let mut counts = [[0usize; 256]; 8];
    for &(key, _) in items.iter() {
        for (digit, count) in counts.iter_mut().enumerate() {
            count[(key >> (digit * 8)) as u8 as usize] += 1;
        }
    }
    let mut scratch: Vec<(u64, u32)> = vec![(0, 0); len];
    let mut in_scratch = false;
    for (digit, count) in counts.iter().enumerate() {
        if count.contains(&len) {
            continue;
        }
        let mut next = [0usize; 256];
        let mut sum = 0;
        for (slot, &c) in next.iter_mut().zip(count.iter()) {
            *slot = sum;
            sum += c;
        }
        let (source, target) = if in_scratch { (&scratch, &mut *items) } else { (&*items, &mut scratch) };
        let shift = digit * 8;
        for &item in source.iter() {
            let bucket = (item.0 >> shift) as u8 as usize;
            if let Some(slot) = target.get_mut(next[bucket]) {
                *slot = item;
            }
            next[bucket] += 1;
        }
        in_scratch = !in_scratch;
    }
    if in_scratch {
        std::mem::swap(items, &mut scratch);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(text: &str) -> Vec<u8> {
        let mut out = Vec::new();
        natural_key(text, &mut out, usize::MAX);
        out
    }

    #[test]
    fn natural_keys_order_numbers_by_value_and_ignore_case() {
        assert!(key("item2") < key("item10"));
        assert!(key("Item2") < key("item10"));
        assert!(key("a") < key("B"));
        assert_eq!(key("ABC"), key("abc"));
        assert!(key("x9y") < key("x10"));
        assert!(key("v1.2") < key("v1.10"));
        assert_eq!(key("007"), key("7"));
        assert!(key("eclair") < key("Éclair"));
        assert_eq!(key("Éclair"), key("éclair"));
        assert!(key("Éclair") < key("eclairs"));
        assert!(key("Éclair") < key("ezra"));
        assert!(key("") < key("a"));
    }

    #[test]
    fn prefixes_are_monotone() {
        let mut words = ["zeta", "alpha10", "alpha9", "Ünïcode", "a", "", "abcdefghij", "abcdefghi"];
        words.sort_by_key(|w| key(w));
        let prefixes: Vec<u64> = words.iter().map(|w| prefix_u64(&key(w))).collect();
        assert!(prefixes.windows(2).all(|p| p[0] <= p[1]), "{words:?}");
    }

    #[test]
    fn radix_sort_is_stable_and_correct() {
        let mut state = 12345u64;
        let mut items: Vec<(u64, u32)> = (0..5000u32)
            .map(|i| {
                state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                ((state >> 33) % 97 + if i % 2 == 0 { 1 << 40 } else { 0 }, i)
            })
            .collect();
        let mut expected = items.clone();
        expected.sort_by_key(|&(k, _)| k);
        radix_sort(&mut items);
        assert_eq!(items, expected);
    }

    #[test]
    fn float_keys_order_like_total_cmp() {
        let values = [-f64::INFINITY, -2.5, -0.0, 0.0, 1e-300, 3.0, f64::INFINITY, f64::NAN];
        let keys: Vec<u64> = values.iter().map(|&v| float_key(v)).collect();
        assert!(keys.windows(2).all(|k| k[0] <= k[1]));
        assert_eq!(float_key(-0.0), float_key(0.0));
    }
}
