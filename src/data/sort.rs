//! Sorted views: row-index vectors ordered by one or more columns.
//!
//! The order is stable (equal rows keep their previous order) and type-aware:
//! numbers numerically, timestamps chronologically, booleans `false` before
//! `true`, text case-insensitively with numbers inside text compared by value
//! (`item2` < `item10`) and accents as a tie-breaker (`eclair` < `Éclair` <
//! `ezra`); a text column of numbers and a few words (`change %`: `-3`, `1.8`, `new`)
//! sorts the numbers by value and the words after them. Nulls come last in both directions.
//!
//! Speed comes from turning the first key into one order-preserving `u64` per
//! row and radix-sorting those: integers, floats, timestamps and booleans map
//! exactly; dictionary text columns sort their (few) distinct values once and use
//! the rank; plain text uses the first eight bytes of its sort key and settles
//! ties on the full key. Further keys only order runs of rows the first key
//! leaves equal.

use std::cmp::Ordering;

use super::storage::{NULL_CODE, TextColumn};
use super::table::{Column, ColumnData, ResultTable};

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
    for position in 0..rows.len() {
        if primary.is_null(position) {
            nulls.push(position as u32);
        } else {
            items.push((primary.chunk(position, 0), position as u32));
        }
    }
    radix_sort(&mut items);
    if let KeyData::Text { .. } = primary.data {
        refine_text(primary, &mut items);
    }

    let mut order: Vec<u32> = Vec::with_capacity(rows.len());
    order.extend(items.iter().map(|&(_, position)| position));
    order.extend_from_slice(&nulls);

    if prepared.len() > 1 {
        // Later keys only order the runs the first key leaves equal (nulls included).
        let non_null = items.len();
        let mut start = 0;
        while start < non_null {
            let mut end = start + 1;
            while end < non_null
                && primary.equal(
                    order.get(start).copied().unwrap_or(0) as usize,
                    order.get(end).copied().unwrap_or(0) as usize,
                )
            {
                end += 1;
            }
            if let Some(run) = order.get_mut(start..end).filter(|run| run.len() > 1) {
                run.sort_by(|&a, &b| compare(&prepared, a as usize, b as usize));
            }
            start = end;
        }
        if let Some(run) = order.get_mut(non_null..) {
            run.sort_by(|&a, &b| compare(&prepared, a as usize, b as usize));
        }
    }

    order.into_iter().map(|position| rows.get(position as usize).copied().unwrap_or(0)).collect()
}

/// Runs shorter than this are finished with a comparison sort instead of another radix pass.
const SMALL_RUN: usize = 64;

/// Finishes a text sort: `items` are radix-sorted on the first eight key bytes;
/// each run of equal bytes is sorted on the next eight (most significant digit
/// first) until keys differ or end.
fn refine_text(key: &Prepared<'_>, items: &mut [Item]) {
    let mut pending: Vec<(usize, usize, usize)> = Vec::new();
    push_runs(items, 0, items.len(), 0, &mut pending);
    while let Some((start, end, depth)) = pending.pop() {
        let Some(run) = items.get_mut(start..end) else { continue };
        let compared = (depth + 1) * 8;
        // Stored keys used up before the full keys end: finish on the full keys.
        if run.iter().any(|&(_, p)| key.is_truncated(p as usize) && key.key_len(p as usize) <= compared) {
            key.sort_by_full_keys(run, compared);
            continue;
        }
        // Keys that ended within the bytes compared so far are equal: nothing to do.
        if run.iter().all(|&(_, position)| key.key_len(position as usize) <= compared) {
            continue;
        }
        if run.len() <= SMALL_RUN {
            run.sort_by(|a, b| key.compare_from(a.1 as usize, b.1 as usize, compared));
            continue;
        }
        // Skip the bytes every key of the run shares (long common prefixes are
        // usual in JSON and URLs): sort on the first chunk where they differ.
        let first = run.first().map_or(&[][..], |&(_, p)| key.text_key(p as usize));
        let first_tail = first.get(compared..).unwrap_or_default();
        let mut shared = first_tail.len();
        for &(_, p) in run.iter().skip(1) {
            let tail = key.text_key(p as usize).get(compared..).unwrap_or_default();
            shared = shared.min(first_tail.iter().zip(tail).take(shared).take_while(|(a, b)| a == b).count());
            if shared < 8 {
                break;
            }
        }
        let next_depth = (compared + shared) / 8;
        for item in run.iter_mut() {
            item.0 = key.chunk(item.1 as usize, next_depth);
        }
        radix_sort(run);
        push_runs(items, start, end, next_depth, &mut pending);
    }
}

/// Queues the runs of equal chunks within `items[start..end]`.
fn push_runs(
    items: &[(u64, u32)],
    start: usize,
    end: usize,
    depth: usize,
    pending: &mut Vec<(usize, usize, usize)>,
) {
    let Some(slice) = items.get(start..end) else { return };
    let mut run_start = 0;
    for i in 1..=slice.len() {
        let boundary = i == slice.len() || slice.get(i).map(|x| x.0) != slice.get(run_start).map(|x| x.0);
        if boundary {
            if i - run_start > 1 {
                pending.push((start + run_start, start + i, depth));
            }
            run_start = i;
        }
    }
}

/// A key's values over the view's positions.
enum KeyData<'t> {
    /// An ascending order-preserving `u64` per position (numbers, timestamps,
    /// booleans, dictionary ranks).
    Fixed(Vec<u64>),
    /// The first [`STORED_KEY_BYTES`] (or so) of a sort key per position
    /// ([`natural_key`]), back to back; `truncated` marks keys that go on.
    Text { arena: Vec<u8>, offsets: Vec<usize>, truncated: Vec<bool>, text: &'t TextColumn },
}

/// Sort-key bytes kept per row. Long values (JSON documents) rarely tie this far
/// in; when they do, the full keys of the tied rows are built on demand.
const STORED_KEY_BYTES: usize = 256;

/// One key, prepared over the view's positions.
struct Prepared<'t> {
    column: &'t Column,
    rows: &'t [u32],
    descending: bool,
    data: KeyData<'t>,
}

impl<'t> Prepared<'t> {
    fn new(column: &'t Column, descending: bool, rows: &'t [u32]) -> Prepared<'t> {
        let fixed =
            |f: &dyn Fn(usize) -> u64| KeyData::Fixed(rows.iter().map(|&row| f(row as usize)).collect());
        if let ColumnData::Text(text) = &column.data
            && let Some(keys) = numbers_then_words(column, text, rows)
        {
            return Prepared { column, rows, descending, data: KeyData::Fixed(keys) };
        }
        let data = match &column.data {
            ColumnData::Int(values) | ColumnData::Timestamp { millis: values, .. } => {
                fixed(&|row| values.get(row).map_or(0, |&v| (v as u64) ^ SIGN_BIT))
            }
            ColumnData::Float(values) => fixed(&|row| values.get(row).map_or(0, |&v| float_key(v))),
            ColumnData::Bool(values) => fixed(&|row| u64::from(values.get(row))),
            ColumnData::Text(text) | ColumnData::Json(text) => match text {
                TextColumn::Dict { values, codes } => {
                    let ranks = dictionary_ranks(values);
                    fixed(&|row| {
                        codes
                            .get(row)
                            .and_then(|&code| ranks.get(code as usize))
                            .map_or(0, |&rank| u64::from(rank))
                    })
                }
                TextColumn::Plain(buf) => {
                    let mut arena = Vec::with_capacity(rows.len() * 16);
                    let mut offsets = Vec::with_capacity(rows.len() + 1);
                    let mut truncated = Vec::with_capacity(rows.len());
                    offsets.push(0);
                    for &row in rows {
                        truncated.push(!natural_key(buf.get(row as usize), &mut arena, STORED_KEY_BYTES));
                        offsets.push(arena.len());
                    }
                    KeyData::Text { arena, offsets, truncated, text }
                }
            },
        };
        Prepared { column, rows, descending, data }
    }

    fn is_null(&self, position: usize) -> bool {
        self.rows.get(position).is_none_or(|&row| self.column.is_null(row as usize))
    }

    fn text_key(&self, position: usize) -> &[u8] {
        match &self.data {
            KeyData::Text { arena, offsets, .. } => {
                match (offsets.get(position), offsets.get(position + 1)) {
                    (Some(&start), Some(&end)) => arena.get(start..end).unwrap_or_default(),
                    _ => &[],
                }
            }
            KeyData::Fixed(_) => &[],
        }
    }

    fn key_len(&self, position: usize) -> usize {
        self.text_key(position).len()
    }

    /// Bytes `8 * depth ..` of the key as a number, in the key's direction: the
    /// whole value for fixed keys, zero-padded past the end for text keys.
    fn chunk(&self, position: usize, depth: usize) -> u64 {
        let ascending = match &self.data {
            KeyData::Fixed(values) => values.get(position).copied().unwrap_or(0),
            KeyData::Text { .. } => {
                let key = self.text_key(position);
                prefix_u64(key.get(depth * 8..).unwrap_or_default())
            }
        };
        if self.descending { !ascending } else { ascending }
    }

    fn is_truncated(&self, position: usize) -> bool {
        match &self.data {
            KeyData::Text { truncated, .. } => truncated.get(position).copied().unwrap_or(false),
            KeyData::Fixed(_) => false,
        }
    }

    /// The whole sort key of a text position (the stored one when not truncated).
    fn full_key(&self, position: usize) -> std::borrow::Cow<'_, [u8]> {
        match (&self.data, self.rows.get(position)) {
            (KeyData::Text { text, .. }, Some(&row)) if self.is_truncated(position) => {
                let mut key = Vec::new();
                natural_key(text.get(row as usize), &mut key, usize::MAX);
                std::borrow::Cow::Owned(key)
            }
            _ => std::borrow::Cow::Borrowed(self.text_key(position)),
        }
    }

    /// Compares two non-null positions in the key's direction, from byte `from` of
    /// text keys.
    fn compare_from(&self, a: usize, b: usize, from: usize) -> Ordering {
        let ordering = match &self.data {
            KeyData::Fixed(values) => values.get(a).cmp(&values.get(b)),
            KeyData::Text { .. } => {
                let (ka, kb) = (self.text_key(a), self.text_key(b));
                let common = ka.len().min(kb.len());
                let shared = from.min(common)..common;
                let undecided = ka.get(shared.clone()) == kb.get(shared);
                if undecided && (self.is_truncated(a) || self.is_truncated(b)) {
                    let (fa, fb) = (self.full_key(a), self.full_key(b));
                    fa.get(from..).unwrap_or_default().cmp(fb.get(from..).unwrap_or_default())
                } else {
                    ka.get(from..).unwrap_or_default().cmp(kb.get(from..).unwrap_or_default())
                }
            }
        };
        if self.descending { ordering.reverse() } else { ordering }
    }

    /// Sorts a run whose keys agree on their first `from` bytes by the full keys,
    /// built once per row (for rows whose stored keys ran out).
    fn sort_by_full_keys(&self, run: &mut [Item], from: usize) {
        let mut arena = Vec::new();
        let mut keyed: Vec<(usize, usize, Item)> = Vec::with_capacity(run.len());
        for &item in run.iter() {
            let start = arena.len();
            arena.extend_from_slice(&self.full_key(item.1 as usize));
            keyed.push((start, arena.len(), item));
        }
        let tail = |&(start, end, _): &(usize, usize, Item)| arena.get(start + from..end).unwrap_or_default();
        keyed.sort_by(|a, b| {
            let ordering = tail(a).cmp(tail(b));
            if self.descending { ordering.reverse() } else { ordering }
        });
        for (slot, (_, _, item)) in run.iter_mut().zip(keyed) {
            *slot = item;
        }
    }

    /// True when two positions have equal keys (both null counts as equal).
    fn equal(&self, a: usize, b: usize) -> bool {
        match (self.is_null(a), self.is_null(b)) {
            (true, true) => true,
            (false, false) => self.compare_from(a, b, 0) == Ordering::Equal,
            _ => false,
        }
    }
}

/// Compares two positions on every key: nulls last whatever the direction, then
/// by value in the key's direction.
fn compare(keys: &[Prepared<'_>], a: usize, b: usize) -> Ordering {
    for key in keys {
        let ordering = match (key.is_null(a), key.is_null(b)) {
            (true, true) => Ordering::Equal,
            (true, false) => return Ordering::Greater,
            (false, true) => return Ordering::Less,
            (false, false) => key.compare_from(a, b, 0),
        };
        if ordering != Ordering::Equal {
            return ordering;
        }
    }
    Ordering::Equal
}

const SIGN_BIT: u64 = 1 << 63;

/// The most distinct words a column of numbers may hold and still sort as numbers.
const MAX_WORDS_AMONG_NUMBERS: usize = 8;

/// Keys for a text column of numbers and a few words, such as a comparison's `change %`
/// (`-17.7`, `1.8`, and `new` where the earlier value was zero): the numbers by value, then
/// the words in natural order. Natural text order would put `-17.7` after `-3` and `1.75`
/// after `1.8`. `None` (sort as text) unless some value is a number and every other one is
/// a word without digits, at most [`MAX_WORDS_AMONG_NUMBERS`] distinct: ids give up at their
/// first value, names after a few, and a dictionary column looks at its distinct values only.
fn numbers_then_words(column: &Column, text: &TextColumn, rows: &[u32]) -> Option<Vec<u64>> {
    let mut classes = NumbersAndWords::default();
    match text {
        TextColumn::Dict { values, codes } => {
            let keys: Vec<u64> =
                (0..values.len()).map(|code| classes.add(values.get(code))).collect::<Option<_>>()?;
            let keys = classes.finish(keys)?;
            Some(
                rows.iter()
                    .map(|&row| {
                        let code = codes.get(row as usize).copied().unwrap_or(NULL_CODE);
                        keys.get(code as usize).copied().unwrap_or(0)
                    })
                    .collect(),
            )
        }
        TextColumn::Plain(buf) => {
            let keys: Vec<u64> =
                rows.iter()
                    .map(|&row| {
                        if column.is_null(row as usize) {
                            Some(0)
                        } else {
                            classes.add(buf.get(row as usize))
                        }
                    })
                    .collect::<Option<_>>()?;
            classes.finish(keys)
        }
    }
}

/// What [`numbers_then_words`] has seen: whether a number, and the distinct words.
#[derive(Default)]
struct NumbersAndWords<'a> {
    any_number: bool,
    words: Vec<&'a str>,
}

/// Word keys are this plus the word's first-seen index until [`NumbersAndWords::finish`]
/// ranks them; numbers' keys are all below it.
const WORD_KEYS: u64 = u64::MAX - MAX_WORDS_AMONG_NUMBERS as u64;

impl<'a> NumbersAndWords<'a> {
    /// The provisional key of `value`; `None` when the column is not numbers and words.
    fn add(&mut self, value: &'a str) -> Option<u64> {
        match value.trim().parse::<f64>() {
            Ok(number) if number.is_finite() => {
                self.any_number = true;
                Some(float_key(number))
            }
            _ if value.bytes().any(|b| b.is_ascii_digit()) => None,
            _ => {
                let index = match self.words.iter().position(|word| *word == value) {
                    Some(index) => index,
                    None if self.words.len() < MAX_WORDS_AMONG_NUMBERS => {
                        self.words.push(value);
                        self.words.len() - 1
                    }
                    None => return None,
                };
                Some(WORD_KEYS + index as u64)
            }
        }
    }

    /// The final keys: words above every number, in natural order among themselves.
    fn finish(self, mut keys: Vec<u64>) -> Option<Vec<u64>> {
        if !self.any_number {
            return None;
        }
        let mut order: Vec<usize> = (0..self.words.len()).collect();
        order.sort_by_cached_key(|&index| {
            let mut key = Vec::new();
            natural_key(self.words.get(index).copied().unwrap_or_default(), &mut key, usize::MAX);
            key
        });
        // Every finite number's key is below +infinity's, so the words go just past it.
        let above_numbers = float_key(f64::INFINITY) + 1;
        let mut rank = vec![0u64; self.words.len()];
        for (position, &index) in order.iter().enumerate() {
            if let Some(slot) = rank.get_mut(index) {
                *slot = above_numbers + position as u64;
            }
        }
        for key in &mut keys {
            if *key >= WORD_KEYS
                && let Some(&ranked) = rank.get((*key - WORD_KEYS) as usize)
            {
                *key = ranked;
            }
        }
        Some(keys)
    }
}

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

/// Appends the sort key of `text`, stopping once `limit` bytes (or a few more) are
/// written; returns true when the whole key was written. Comparing keys bytewise
/// orders text case-insensitively, with runs of digits by numeric value and
/// accents ignored except to break ties.
///
/// The key is the text lowercased and with accents folded (`Éclair` → `eclair`),
/// each digit run written as `'0'`, its length without leading zeros, and the
/// digits (so a longer number sorts after a shorter one); for non-ASCII text a
/// byte 1 and the lowercased text with its accents follow, to order `eclair`
/// before `éclair` without separating either from `eclairs`. Keys never contain
/// byte 0, so zero-padding a key sorts it before any longer key it prefixes.
pub fn natural_key(text: &str, out: &mut Vec<u8>, limit: usize) -> bool {
    let base = out.len();
    let full = |out: &Vec<u8>| out.len() - base >= limit;
    let bytes = text.as_bytes();
    let mut i = 0;
    while let Some(&byte) = bytes.get(i) {
        if full(out) {
            return false;
        }
        if byte.is_ascii_digit() {
            // A lone digit (common in hex ids) skips the run bookkeeping.
            if !bytes.get(i + 1).is_some_and(u8::is_ascii_digit) {
                out.extend_from_slice(&[b'0', 1, byte]);
                i += 1;
                continue;
            }
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
            // A run of ASCII other than digits, copied lowercased in one go (bounded by
            // what is left of the limit). Keys never hold byte 0 (it pads chunks past a
            // key's end) and hold byte 1 only as the accent tie-breaker's separator.
            let room = limit.saturating_sub(out.len() - base).max(1);
            let rest = bytes.get(i..).unwrap_or_default();
            let run_len = rest
                .iter()
                .take(room)
                .position(|b| b.is_ascii_digit() || !b.is_ascii())
                .unwrap_or(rest.len().min(room));
            let run = rest.get(..run_len).unwrap_or_default();
            out.extend(run.iter().map(|&b| if b < 2 { 2 } else { b.to_ascii_lowercase() }));
            i += run_len.max(1);
        } else {
            let Some(ch) = text.get(i..).and_then(|rest| rest.chars().next()) else { break };
            i += ch.len_utf8();
            for lower in ch.to_lowercase() {
                let folded = fold_accent(lower);
                let mut utf8 = [0u8; 4];
                out.extend_from_slice(folded.encode_utf8(&mut utf8).as_bytes());
            }
        }
    }
    if !text.is_ascii() {
        if full(out) {
            return false;
        }
        out.push(1);
        for ch in text.chars().flat_map(char::to_lowercase) {
            if full(out) {
                return false;
            }
            let mut utf8 = [0u8; 4];
            out.extend_from_slice(ch.encode_utf8(&mut utf8).as_bytes());
        }
    }
    true
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
/// A radix-sort item: the key and the position it belongs to.
type Item = (u64, u32);

fn radix_sort(items: &mut [Item]) {
    let len = items.len();
    if len <= SMALL_RUN {
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
        let (source, target): (&[Item], &mut [Item]) =
            if in_scratch { (&scratch, &mut *items) } else { (&*items, &mut scratch) };
        let shift = digit * 8;
        for &item in source {
            let bucket = (item.0 >> shift) as u8 as usize;
            if let Some(slot) = target.get_mut(next[bucket]) {
                *slot = item;
            }
            next[bucket] += 1;
        }
        in_scratch = !in_scratch;
    }
    if in_scratch {
        items.copy_from_slice(&scratch);
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
