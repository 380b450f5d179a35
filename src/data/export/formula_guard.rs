//! "CSV for Excel" and CSV injection: the one rule for which cells a spreadsheet would run as
//! formulas ([`needs_formula_guard`]), applied to the table writer's fields
//! ([`csv_field_for_excel`]) and to the export endpoint's CSV as it streams in
//! ([`StreamFormulaGuard`]).

use crate::data::builder::is_json_number;

use super::csv::csv_field;

/// What the "CSV for Excel" writer knows about the type of a cell it guards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CellTyping {
    /// A text cell of a typed table: text whatever it spells, so `-5` in a text column is
    /// text and is guarded like any other text starting with `-`.
    Text,
    /// A cell whose type is read from its spelling, as the app reads CSV: a field of the
    /// export endpoint's CSV (which carries no types), or a JSON cell (whose JSON text spells
    /// its type). A JSON number (`-5`, `-1.5e3`) is a number, which no spreadsheet runs as a
    /// formula, and stays as it is; anything else is text.
    Lexical,
}

/// True when `field`, written into a "CSV for Excel", must be prefixed with `'` so that a
/// spreadsheet shows it as text instead of running it as a formula (OWASP "CSV injection"):
/// text starting with `=`, `+`, `-`, `@`, a tab or a carriage return.
///
/// The one rule for every "CSV for Excel" path: the table writer asks it for text and JSON
/// cells (numbers, booleans and timestamps are never guarded), the streamed "all rows"
/// export for every field of the downloaded CSV. Plain CSV never asks: it keeps the bytes
/// as they are, for machine readers. The common case costs one comparison of the first
/// byte.
#[inline]
pub fn needs_formula_guard(field: &[u8], typing: CellTyping) -> bool {
    match field.first() {
        Some(b'=' | b'@' | b'\t' | b'\r') => true,
        Some(b'+' | b'-') => match typing {
            CellTyping::Text => true,
            CellTyping::Lexical => !std::str::from_utf8(field).is_ok_and(is_json_number),
        },
        _ => false,
    }
}

/// The prefix that makes a spreadsheet read a cell as text.
const FORMULA_GUARD: u8 = b'\'';

/// Appends one field of a "CSV for Excel" to `buf`: as [`csv_field`] does, with `'` in front
/// of the content when [`needs_formula_guard`] says so (inside the quotes of a quoted field).
#[inline]
pub(super) fn csv_field_for_excel(buf: &mut Vec<u8>, field: &[u8], typing: CellTyping) {
    if !needs_formula_guard(field, typing) {
        csv_field(buf, field);
        return;
    }
    let start = buf.len();
    csv_field(buf, field);
    // A guarded field starts with a trigger byte, never with `"`: a quote at `start` is the
    // opening quote of a quoted field.
    let content_start = start + usize::from(buf.get(start) == Some(&b'"'));
    buf.insert(content_start, FORMULA_GUARD);
}

/// Neutralises formulas in the export endpoint's CSV as it streams into a "CSV for Excel":
/// every field goes through [`needs_formula_guard`] (typed [`CellTyping::Lexical`]: the CSV
/// carries no types), guarded ones get `'` in front of their content; everything else is
/// copied byte for byte. Fields that start with `+` or `-` are held until their end (the
/// decision needs the whole field: `-5` is a number, `-5+1` a formula); all others are
/// decided on their first byte.
#[derive(Debug, Default)]
pub(super) struct StreamFormulaGuard {
    state: GuardState,
    /// The bytes of a held field so far (for a quoted one: after its opening quote).
    held: Vec<u8>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum GuardState {
    /// At the start of a field (also between the CR and LF of a line end).
    #[default]
    FieldStart,
    /// Inside an unquoted field, decided.
    Unquoted,
    /// Inside an unquoted field that is held.
    HeldUnquoted,
    /// Right after the opening quote of a quoted field.
    QuotedStart,
    /// Inside a quoted field, decided.
    Quoted,
    /// Inside a quoted field, decided, right after a quote (an escaped one or the closing one).
    QuotedQuote,
    /// Inside a quoted field that is held.
    HeldQuoted,
    /// Inside a quoted field that is held, right after a quote.
    HeldQuotedQuote,
}

impl StreamFormulaGuard {
    /// Appends `input`, guarded, to `out`.
    pub(super) fn feed(&mut self, input: &[u8], out: &mut Vec<u8>) {
        out.reserve(input.len() + 16);
        // Bytes from `run_start` are copied in one go when something has to be inserted or held.
        let mut run_start = 0;
        for (at, &byte) in input.iter().enumerate() {
            match self.state {
                GuardState::FieldStart => match byte {
                    b'"' => self.state = GuardState::QuotedStart,
                    // A line end or an empty field: still at the start of one.
                    b',' | b'\r' | b'\n' => {}
                    _ => self.first_content_byte(
                        byte,
                        false,
                        input.get(..at).unwrap_or_default(),
                        &mut run_start,
                        out,
                    ),
                },
                GuardState::Unquoted => {
                    if matches!(byte, b',' | b'\r' | b'\n') {
                        self.state = GuardState::FieldStart;
                    }
                }
                GuardState::HeldUnquoted => {
                    if matches!(byte, b',' | b'\r' | b'\n') {
                        self.release(self.held.len(), out);
                        run_start = at;
                        self.state = GuardState::FieldStart;
                    } else {
                        self.held.push(byte);
                        run_start = at + 1;
                    }
                }
                GuardState::QuotedStart => match byte {
                    b'"' => self.state = GuardState::QuotedQuote,
                    _ => self.first_content_byte(
                        byte,
                        true,
                        input.get(..at).unwrap_or_default(),
                        &mut run_start,
                        out,
                    ),
                },
                GuardState::Quoted => {
                    if byte == b'"' {
                        self.state = GuardState::QuotedQuote;
                    }
                }
                GuardState::QuotedQuote => {
                    self.state = match byte {
                        b'"' => GuardState::Quoted,
                        b',' | b'\r' | b'\n' => GuardState::FieldStart,
                        // Text after a closing quote (not RFC 4180): copied as it comes.
                        _ => GuardState::Unquoted,
                    };
                }
                GuardState::HeldQuoted => {
                    self.held.push(byte);
                    run_start = at + 1;
                    if byte == b'"' {
                        self.state = GuardState::HeldQuotedQuote;
                    }
                }
                GuardState::HeldQuotedQuote => {
                    if byte == b'"' {
                        self.held.push(byte);
                        run_start = at + 1;
                        self.state = GuardState::HeldQuoted;
                    } else {
                        // The quote before was the closing one: the content is what precedes it.
                        self.release(self.held.len().saturating_sub(1), out);
                        run_start = at;
                        self.state = match byte {
                            b',' | b'\r' | b'\n' => GuardState::FieldStart,
                            _ => GuardState::Unquoted,
                        };
                    }
                }
            }
        }
        out.extend_from_slice(input.get(run_start..).unwrap_or_default());
    }

    /// The first byte of a field's content (after its opening quote, if `quoted`): a sign
    /// may start a number, so the field is held until its end decides; any other byte is
    /// decided at once, with the guard written before it when it starts a formula.
    /// `before` is the input up to this byte; its bytes from `run_start` are still uncopied.
    fn first_content_byte(
        &mut self,
        byte: u8,
        quoted: bool,
        before: &[u8],
        run_start: &mut usize,
        out: &mut Vec<u8>,
    ) {
        let at = before.len();
        if matches!(byte, b'+' | b'-') {
            out.extend_from_slice(before.get(*run_start..).unwrap_or_default());
            self.held.clear();
            self.held.push(byte);
            *run_start = at + 1;
            self.state = if quoted { GuardState::HeldQuoted } else { GuardState::HeldUnquoted };
            return;
        }
        if needs_formula_guard(&[byte], CellTyping::Lexical) {
            out.extend_from_slice(before.get(*run_start..).unwrap_or_default());
            out.push(FORMULA_GUARD);
            *run_start = at;
        }
        self.state = if quoted { GuardState::Quoted } else { GuardState::Unquoted };
    }

    /// Ends the stream: a field still held (the last one, without a line end) is written.
    pub(super) fn finish(&mut self, out: &mut Vec<u8>) {
        match self.state {
            GuardState::HeldUnquoted | GuardState::HeldQuoted => self.release(self.held.len(), out),
            GuardState::HeldQuotedQuote => self.release(self.held.len().saturating_sub(1), out),
            _ => {}
        }
        self.state = GuardState::FieldStart;
    }

    /// Writes the held field, guarded when its first `content_len` bytes (its content) need it.
    fn release(&mut self, content_len: usize, out: &mut Vec<u8>) {
        let content = self.held.get(..content_len).unwrap_or_default();
        if needs_formula_guard(content, CellTyping::Lexical) {
            out.push(FORMULA_GUARD);
        }
        out.extend_from_slice(&self.held);
        self.held.clear();
    }
}
