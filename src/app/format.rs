//! Shared formatting for the window: numbers, durations, cell text and the theme's colours.
//! Every feature formats through here, so a number reads the same everywhere.

use serde_json::Value;

use crate::data::display::group_thousands;

/// `12345` → `12,345`.
pub fn thousands(number: u64) -> String {
    group_thousands(&number.to_string())
}

/// A duration for the status bar: `850 ms`, `2.4 s`, `1 min 05 s`.
pub fn format_duration_ms(duration_ms: u64) -> String {
    if duration_ms < 1000 {
        format!("{duration_ms} ms")
    } else if duration_ms < 60_000 {
        format!("{:.1} s", duration_ms as f64 / 1000.0)
    } else {
        format!("{} min {:02} s", duration_ms / 60_000, (duration_ms % 60_000) / 1000)
    }
}

/// A cell's text: strings as they are, numbers and booleans as written, JSON compactly,
/// null as empty.
pub fn cell_text(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(text) => text.clone(),
        Value::Number(number) => number.to_string(),
        Value::Bool(flag) => flag.to_string(),
        Value::Array(_) | Value::Object(_) => value.to_string(),
    }
}

/// Green that reads on both themes ("connected", "ok").
pub fn ok_color(ui: &egui::Ui) -> egui::Color32 {
    if ui.visuals().dark_mode {
        egui::Color32::from_rgb(0x6c, 0xc0, 0x6c)
    } else {
        egui::Color32::from_rgb(0x1e, 0x7b, 0x1e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn formatting_helpers() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(format_duration_ms(850), "850 ms");
        assert_eq!(format_duration_ms(2400), "2.4 s");
        assert_eq!(format_duration_ms(65_000), "1 min 05 s");
        assert_eq!(cell_text(&json!(null)), "");
        assert_eq!(cell_text(&json!({"a":[1]})), r#"{"a":[1]}"#);
    }
}
