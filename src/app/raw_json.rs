//! Pretty-printing raw JSON bytes for the Response tab without parsing them: a small
//! re-indenter that works on any prefix of a document (a large answer is only kept in part,
//! see [`RawAnswer`](crate::worker::RawAnswer)) and stops after a budget, so showing a
//! huge answer costs no more than showing a small one.

/// Spaces per nesting level.
const INDENT: usize = 2;

/// A re-indented prefix of a JSON document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrettyPrefix {
    /// The text, at most about `max_bytes` long.
    pub text: String,
    /// True when the input was cut (by the budget), so the text ends early.
    pub cut: bool,
}

/// Re-indents `json` (compact or already indented, complete or cut anywhere) two spaces per
/// level, stopping at the first line break after `max_bytes` of output. Strings are copied
/// as they are, escapes included; invalid UTF-8 shows as `�`.
pub fn pretty_prefix(json: &[u8], max_bytes: usize) -> PrettyPrefix {
    let mut out: Vec<u8> = Vec::with_capacity(json.len().min(max_bytes) + json.len().min(max_bytes) / 2);
    let mut depth: usize = 0;
    let mut in_string = false;
    let mut escaped = false;
    let mut index = 0;
    let mut cut = false;
    while let Some(&byte) = json.get(index) {
        index += 1;
        if in_string {
            out.push(byte);
            if escaped {
                escaped = false;
            } else if byte == b'\\' {
                escaped = true;
            } else if byte == b'"' {
                in_string = false;
            }
            continue;
        }
        match byte {
            b' ' | b'\t' | b'\n' | b'\r' => {}
            b'"' => {
                in_string = true;
                out.push(byte);
            }
            b'{' | b'[' => {
                out.push(byte);
                let close = if byte == b'{' { b'}' } else { b']' };
                // `{}` and `[]` stay on one line.
                let next =
                    json.get(index..).unwrap_or_default().iter().position(|b| !b.is_ascii_whitespace());
                if let Some(offset) = next
                    && json.get(index + offset) == Some(&close)
                {
                    out.push(close);
                    index += offset + 1;
                } else {
                    depth += 1;
                    new_line(&mut out, depth);
                }
            }
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                new_line(&mut out, depth);
                out.push(byte);
            }
            b',' => {
                out.push(byte);
                if out.len() >= max_bytes {
                    cut = true;
                    break;
                }
                new_line(&mut out, depth);
            }
            b':' => out.extend_from_slice(b": "),
            _ => out.push(byte),
        }
    }
    // A prefix cut after `{`, `[` or `,` would end in an indented empty line.
    let kept = out.len() - out.iter().rev().take_while(|b| b.is_ascii_whitespace()).count();
    out.truncate(kept);
    PrettyPrefix { text: String::from_utf8_lossy(&out).into_owned(), cut }
}

fn new_line(out: &mut Vec<u8>, depth: usize) {
    out.push(b'\n');
    out.resize(out.len() + depth * INDENT, b' ');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_complete_document_reads_like_serde_json_pretty() {
        let value = json!({
            "status": "ok",
            "data": {"result": [{"a": 1, "b": "x, y: {z}", "c": {}, "d": [], "e": "q\"uote\\\\"}],
                     "total": 1, "pageSize": 1000, "count": 1}
        });
        let compact = serde_json::to_string(&value).unwrap();
        let pretty = pretty_prefix(compact.as_bytes(), usize::MAX);
        assert!(!pretty.cut);
        assert_eq!(pretty.text, serde_json::to_string_pretty(&value).unwrap());
        // Already indented input gives the same text.
        let again = pretty_prefix(pretty.text.as_bytes(), usize::MAX);
        assert_eq!(again.text, pretty.text);
    }

    #[test]
    fn a_prefix_cut_anywhere_is_indented_as_far_as_it_goes() {
        let text = br#"{"data":{"result":[{"a":1},{"a":2},{"a":3}]}}"#;
        let cut_input = &text[..28];
        let pretty = pretty_prefix(cut_input, usize::MAX);
        assert_eq!(
            pretty.text,
            "{\n  \"data\": {\n    \"result\": [\n      {\n        \"a\": 1\n      },\n      {"
        );
    }

    #[test]
    fn the_budget_stops_at_a_line_end() {
        let rows: Vec<_> = (0..1000).map(|i| json!({"n": i})).collect();
        let compact = serde_json::to_string(&json!({"result": rows})).unwrap();
        let pretty = pretty_prefix(compact.as_bytes(), 500);
        assert!(pretty.cut);
        assert!(pretty.text.len() >= 500 && pretty.text.len() < 600, "{}", pretty.text.len());
        assert!(pretty.text.ends_with(','));
    }
}
