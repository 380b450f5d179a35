//! Compact storage blocks shared by the column types: a bitmap, a string buffer
//! with offsets, and dictionary-encoded text.
//!
//! A million-row table must stay within a few times the size of its JSON, so text
//! lives in one `String` per column with one offset per row rather than one
//! `String` per cell; columns with few distinct values (`type`, `projectId`,
//! `properties.source`) keep each distinct value once and a `u32` code per row.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// A growable bit vector.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Bitmap {
    words: Vec<u64>,
    len: usize,
}

impl Bitmap {
    /// An empty bitmap.
    pub fn new() -> Bitmap {
        Bitmap::default()
    }

    /// `len` bits, all set to `value`.
    pub fn filled(len: usize, value: bool) -> Bitmap {
        let word = if value { u64::MAX } else { 0 };
        let mut bitmap = Bitmap { words: vec![word; len.div_ceil(64)], len };
        bitmap.clear_tail();
        bitmap
    }

    /// Number of bits.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when there are no bits.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Appends one bit.
    pub fn push(&mut self, value: bool) {
        let bit = self.len % 64;
        if bit == 0 {
            self.words.push(0);
        }
        if value && let Some(word) = self.words.last_mut() {
            *word |= 1 << bit;
        }
        self.len += 1;
    }

    /// The bit at `index`; false out of range.
    #[inline]
    pub fn get(&self, index: usize) -> bool {
        self.words.get(index / 64).is_some_and(|word| word >> (index % 64) & 1 == 1)
    }

    /// Sets the bit at `index` (ignored out of range).
    #[inline]
    pub fn set(&mut self, index: usize, value: bool) {
        if index >= self.len {
            return;
        }
        if let Some(word) = self.words.get_mut(index / 64) {
            if value {
                *word |= 1 << (index % 64);
            } else {
                *word &= !(1 << (index % 64));
            }
        }
    }

    /// Number of set bits.
    pub fn count_ones(&self) -> usize {
        self.words.iter().map(|w| w.count_ones() as usize).sum()
    }

    /// Heap bytes held.
    pub fn heap_size_bytes(&self) -> usize {
        self.words.capacity() * 8
    }

    /// Releases spare capacity.
    pub fn shrink_to_fit(&mut self) {
        self.words.shrink_to_fit();
    }

    fn clear_tail(&mut self) {
        let used = self.len % 64;
        if used != 0
            && let Some(word) = self.words.last_mut()
        {
            *word &= (1u64 << used) - 1;
        }
    }
}

/// Many strings in one buffer: value `i` is `bytes[offsets[i]..offsets[i + 1]]`.
#[derive(Debug, Clone, PartialEq)]
pub struct StrBuf {
    bytes: String,
    offsets: Vec<u64>,
}

impl Default for StrBuf {
    fn default() -> StrBuf {
        StrBuf { bytes: String::new(), offsets: vec![0] }
    }
}

impl StrBuf {
    /// An empty buffer.
    pub fn new() -> StrBuf {
        StrBuf::default()
    }

    /// Number of strings.
    pub fn len(&self) -> usize {
        self.offsets.len() - 1
    }

    /// True when it holds no strings.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Appends a string.
    #[inline]
    pub fn push(&mut self, value: &str) {
        self.bytes.push_str(value);
        self.offsets.push(self.bytes.len() as u64);
    }

    /// String `index`; empty out of range.
    #[inline]
    pub fn get(&self, index: usize) -> &str {
        let (Some(&start), Some(&end)) = (self.offsets.get(index), self.offsets.get(index + 1)) else {
            return "";
        };
        self.bytes.get(start as usize..end as usize).unwrap_or("")
    }

    /// The whole buffer: every string back to back.
    pub fn bytes(&self) -> &str {
        &self.bytes
    }

    /// The `len() + 1` offsets into [`StrBuf::bytes`].
    pub fn offsets(&self) -> &[u64] {
        &self.offsets
    }

    /// Heap bytes held.
    pub fn heap_size_bytes(&self) -> usize {
        self.bytes.capacity() + self.offsets.capacity() * 8
    }

    /// Releases spare capacity.
    pub fn shrink_to_fit(&mut self) {
        self.bytes.shrink_to_fit();
        self.offsets.shrink_to_fit();
    }

    fn reserve(&mut self, strings: usize, bytes: usize) {
        self.offsets.reserve(strings);
        self.bytes.reserve(bytes);
    }
}

/// The code a null cell gets in a dictionary column; reads as the empty string.
pub const NULL_CODE: u32 = u32::MAX;

/// A text column's storage.
#[derive(Debug, Clone, PartialEq)]
pub enum TextColumn {
    /// One entry per row.
    Plain(StrBuf),
    /// Distinct values once, a code per row.
    Dict {
        /// The distinct values, in first-seen order.
        values: StrBuf,
        /// Per row, an index into `values` ([`NULL_CODE`] for nulls).
        codes: Vec<u32>,
    },
}

impl TextColumn {
    /// The text of row `row`; empty for nulls and out of range.
    #[inline]
    pub fn get(&self, row: usize) -> &str {
        match self {
            TextColumn::Plain(buf) => buf.get(row),
            TextColumn::Dict { values, codes } => match codes.get(row) {
                Some(&code) => values.get(code as usize),
                None => "",
            },
        }
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        match self {
            TextColumn::Plain(buf) => buf.len(),
            TextColumn::Dict { codes, .. } => codes.len(),
        }
    }

    /// True when there are no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Heap bytes held.
    pub fn heap_size_bytes(&self) -> usize {
        match self {
            TextColumn::Plain(buf) => buf.heap_size_bytes(),
            TextColumn::Dict { values, codes } => values.heap_size_bytes() + codes.capacity() * 4,
        }
    }
}

/// A fast non-cryptographic hasher (the Fx hash of rustc) for dictionary lookups:
/// SipHash would cost more than the rest of building a text cell.
#[derive(Default, Clone, Copy)]
pub struct FxHasher {
    hash: u64,
}

const FX_SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FxHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(FX_SEED);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(word));
        }
    }

    #[inline]
    fn write_u8(&mut self, value: u8) {
        self.add(u64::from(value));
    }

    #[inline]
    fn write_usize(&mut self, value: usize) {
        self.add(value as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.hash
    }
}

/// A `HashMap` with [`FxHasher`].
pub type FxHashMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

/// Beyond this many distinct values a column is stored plain.
const DICT_MAX_DISTINCT: usize = 1 << 16;
/// Distinct values allowed before the distinct/row ratio is checked.
const DICT_MIN_DISTINCT_CHECK: usize = 256;

/// Builds a [`TextColumn`], dictionary-encoding while the values repeat enough and
/// switching to plain storage as soon as they do not.
#[derive(Debug, Clone)]
pub enum TextBuilder {
    /// Still dictionary-encoding.
    Dict {
        /// Distinct values in first-seen order.
        values: StrBuf,
        /// Value → code.
        lookup: FxHashMap<Box<str>, u32>,
        /// One code per row.
        codes: Vec<u32>,
    },
    /// Plain storage.
    Plain(StrBuf),
}

impl Default for TextBuilder {
    fn default() -> TextBuilder {
        TextBuilder::Dict { values: StrBuf::new(), lookup: FxHashMap::default(), codes: Vec::new() }
    }
}

impl TextBuilder {
    /// An empty builder.
    pub fn new() -> TextBuilder {
        TextBuilder::default()
    }

    /// Number of rows pushed.
    pub fn len(&self) -> usize {
        match self {
            TextBuilder::Dict { codes, .. } => codes.len(),
            TextBuilder::Plain(buf) => buf.len(),
        }
    }

    /// True when nothing was pushed.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Appends a value.
    #[inline]
    pub fn push(&mut self, value: &str) {
        match self {
            TextBuilder::Plain(buf) => buf.push(value),
            TextBuilder::Dict { values, lookup, codes } => {
                if let Some(&code) = lookup.get(value) {
                    codes.push(code);
                    return;
                }
                let distinct = lookup.len();
                let too_many = distinct >= DICT_MAX_DISTINCT
                    || (distinct >= DICT_MIN_DISTINCT_CHECK && distinct * 2 > codes.len());
                if too_many {
                    self.make_plain();
                    self.push(value);
                    return;
                }
                let code = distinct as u32;
                values.push(value);
                lookup.insert(value.into(), code);
                codes.push(code);
            }
        }
    }

    /// Appends the placeholder of a null cell.
    #[inline]
    pub fn push_null(&mut self) {
        match self {
            TextBuilder::Plain(buf) => buf.push(""),
            TextBuilder::Dict { codes, .. } => codes.push(NULL_CODE),
        }
    }

    /// The value at `row` (empty for nulls).
    pub fn get(&self, row: usize) -> &str {
        match self {
            TextBuilder::Plain(buf) => buf.get(row),
            TextBuilder::Dict { values, codes, .. } => match codes.get(row) {
                Some(&code) => values.get(code as usize),
                None => "",
            },
        }
    }

    fn make_plain(&mut self) {
        if let TextBuilder::Dict { values, codes, .. } = self {
            let mut plain = StrBuf::new();
            // Reserve for the rows so far, plus room to keep growing without many copies.
            let average = values.bytes().len() / values.len().max(1);
            plain.reserve(codes.len() * 2, codes.len() * 2 * average.max(1));
            for &code in codes.iter() {
                plain.push(values.get(code as usize));
            }
            *self = TextBuilder::Plain(plain);
        }
    }

    /// The finished column, spare capacity released.
    pub fn finish(self) -> TextColumn {
        match self {
            TextBuilder::Plain(mut buf) => {
                buf.shrink_to_fit();
                TextColumn::Plain(buf)
            }
            TextBuilder::Dict { mut values, mut codes, .. } => {
                values.shrink_to_fit();
                codes.shrink_to_fit();
                TextColumn::Dict { values, codes }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bitmap_push_get_set_count() {
        let mut bits = Bitmap::new();
        for i in 0..130 {
            bits.push(i % 3 == 0);
        }
        assert_eq!(bits.len(), 130);
        assert_eq!(bits.count_ones(), 44);
        assert!(bits.get(129));
        assert!(!bits.get(128));
        assert!(!bits.get(500));
        bits.set(128, true);
        assert!(bits.get(128));
        assert_eq!(Bitmap::filled(70, true).count_ones(), 70);
    }

    #[test]
    fn low_cardinality_text_stays_a_dictionary() {
        let mut builder = TextBuilder::new();
        for i in 0..10_000 {
            builder.push(["openai", "support_ticket", "support_copilot"][i % 3]);
        }
        builder.push_null();
        let column = builder.finish();
        assert!(matches!(column, TextColumn::Dict { .. }));
        assert_eq!(column.get(4), "support_ticket");
        assert_eq!(column.get(10_000), "");
        assert_eq!(column.len(), 10_001);
    }

    #[test]
    fn distinct_text_switches_to_plain_and_keeps_every_value() {
        let mut builder = TextBuilder::new();
        for i in 0..5_000 {
            builder.push(&format!("id-{i}"));
        }
        let column = builder.finish();
        assert!(matches!(column, TextColumn::Plain(_)));
        for i in [0, 1, 255, 256, 257, 4_999] {
            assert_eq!(column.get(i), format!("id-{i}"));
        }
    }
}
