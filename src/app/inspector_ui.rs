//! The Request tab: the JSON body, live and pretty-printed, editable; Apply loads it into
//! the form (or says where it is wrong, leaving the form untouched); Copy as curl gives a
//! command that reproduces the request with the key as an environment variable.

use egui::{RichText, TextEdit, Ui};

use crate::api::client::KEY_ENV;
use crate::api::query::QueryBody;
use crate::api::view::View;
use crate::app::commands::Command;
use crate::app::state::{DerivedQuery, InspectorState, RelativeTimeShown};
use crate::relative_time::resolve_relative_times;

/// Quotes `text` for a POSIX shell: single quotes, with `'` written as `'\''`.
pub fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// How the curl command authenticates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CurlAuth {
    /// `Authorization: Bearer $INKEEPANALYTICS_API_INTEGRATION_KEY` (expanded by the shell).
    KeyFromEnvironment,
    /// A token that is not a secret (the demo API's).
    Token(&'static str),
    /// No `Authorization` header.
    Without,
}

/// A curl command that sends exactly the request the window sends: same URL, headers and
/// body bytes. The key is `$INKEEPANALYTICS_API_INTEGRATION_KEY`, never the key itself.
pub fn curl_command(base_url: &str, view: View, body: &QueryBody, auth: CurlAuth) -> String {
    let url = format!("{}{}", base_url.trim_end_matches('/'), view.query_path());
    // The client sends compact JSON (serde_json::to_vec), so does this.
    let json = serde_json::to_string(body).unwrap_or_else(|_| "{}".to_string());
    let mut lines = vec![
        format!("curl -sS -X POST {}", shell_quote(&url)),
        "  -H 'Content-Type: application/json'".to_string(),
        "  -H 'Accept: application/json, application/problem+json'".to_string(),
    ];
    match auth {
        // Double quotes so the shell expands the variable; the key never enters the clipboard.
        CurlAuth::KeyFromEnvironment => lines.push(format!("  -H \"Authorization: Bearer ${KEY_ENV}\"")),
        CurlAuth::Token(token) => {
            lines.push(format!("  -H {}", shell_quote(&format!("Authorization: Bearer {token}"))))
        }
        CurlAuth::Without => {}
    }
    lines.push(format!("  --data-raw {}", shell_quote(&json)));
    lines.join(" \\\n")
}

/// Everything the Request tab reads.
pub struct InspectorContext<'a> {
    /// The derived body, problems and JSON of the draft.
    pub derived: &'a DerivedQuery,
    /// The base URL of the connection (for curl).
    pub base_url: &'a str,
    /// How requests authenticate (for curl).
    pub auth: CurlAuth,
    /// The view queried: the endpoint the body goes to.
    pub view: View,
}

/// Draws the Request tab. Edits only the inspector's own text; everything else is a command.
pub fn inspector_ui(
    ui: &mut Ui,
    inspector: &mut InspectorState,
    ctx: &InspectorContext<'_>,
    commands: &mut Vec<Command>,
) {
    ui.horizontal_wrapped(|ui| {
        let apply = ui
            .add_enabled(inspector.edited, egui::Button::new("Apply"))
            .on_hover_text("Load this JSON into the form (Ctrl+Z undoes it)")
            .on_disabled_hover_text("Edit the JSON first; it follows the form until you do");
        if apply.clicked() {
            commands.push(Command::ApplyRequestJson);
        }
        let revert = ui
            .add_enabled(inspector.edited, egui::Button::new("Revert"))
            .on_hover_text("Throw away the edits and show the form's query again");
        if revert.clicked() {
            commands.push(Command::RevertRequestJson);
        }
        if ui.button("Copy JSON").on_hover_text("Copy the body as shown").clicked() {
            commands.push(Command::CopyText { text: inspector.text.clone(), what: "the request JSON" });
        }
        let curl = ui.button("Copy as curl").on_hover_text(format!(
            "A curl command for this request; the key is read from ${KEY_ENV}, it is never copied"
        ));
        if curl.clicked() {
            let body = ctx.derived.body.clone().unwrap_or_else(|| {
                crate::api::query::parse_query(&ctx.derived.preview_json).unwrap_or_default()
            });
            // The command reproduces what Run sends now: relative times resolved.
            let body = resolve_relative_times(&body, jiff::Timestamp::now()).unwrap_or(body);
            commands.push(Command::CopyText {
                text: curl_command(ctx.base_url, ctx.view, &body, ctx.auth),
                what: "the curl command",
            });
        }
        let state = if inspector.edited {
            RichText::new("Edited: Apply to load it into the form").color(ui.visuals().warn_fg_color)
        } else {
            RichText::new("Follows the form").weak()
        };
        ui.label(state);
    });
    if let Some(error) = &inspector.error {
        let mut text = format!("The JSON was not applied: {}", error.message);
        if !error.path.is_empty() {
            text.push_str(&format!(" at `{}`", error.path));
        }
        if error.line > 0 {
            text.push_str(&format!(" (line {}, column {})", error.line, error.column));
        }
        text.push_str(". The form was left as it was.");
        ui.label(RichText::new(text).color(ui.visuals().error_fg_color));
    }
    if !inspector.edited && !ctx.derived.problems.is_empty() {
        ui.label(
            RichText::new(format!(
                "The form has {} problem(s); this is the body as far as it can be built.",
                ctx.derived.problems.len()
            ))
            .color(ui.visuals().warn_fg_color),
        );
    }
    relative_times_ui(ui, &ctx.derived.relative_times);
    // The body alone does not say where it goes; the view does.
    ui.label(RichText::new(format!("POST {}", ctx.view.query_path())).monospace())
        .on_hover_text(format!("The {} view's query endpoint", ctx.view.noun()));
    ui.separator();
    egui::ScrollArea::both().id_salt("request_json_scroll").auto_shrink([false, false]).show(ui, |ui| {
        let response = ui
            .add(
                TextEdit::multiline(&mut inspector.text)
                    .id_salt("request_json")
                    .code_editor()
                    .desired_rows(24)
                    .desired_width(f32::INFINITY),
            )
            .accessible_name("Request JSON");
        if response.changed() {
            commands.push(Command::InspectorEdited);
        }
    });
}

/// Lists the query's relative times with what they stand for now: the body keeps
/// "last 30 days", the request sends the instants shown here.
fn relative_times_ui(ui: &mut Ui, relative_times: &[RelativeTimeShown]) {
    if relative_times.is_empty() {
        return;
    }
    ui.label(
        RichText::new("Relative times are resolved when the query runs (UTC; weeks start on Monday). Now:")
            .weak(),
    );
    egui::Grid::new("relative_times").num_columns(3).striped(true).show(ui, |ui| {
        for shown in relative_times {
            ui.monospace(&shown.path);
            ui.label(format!("“{}”", shown.text));
            match &shown.resolved {
                Ok(resolved) => ui.monospace(format!("= {resolved}")),
                Err(message) => ui.label(RichText::new(message).color(ui.visuals().error_fg_color)),
            };
            ui.end_row();
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::query::{Field, Filter, FilterValue, Operator, Scalar, Selection};

    #[test]
    fn curl_reproduces_the_body_exactly_and_never_the_key() {
        let body = QueryBody {
            select: vec![Selection::count()],
            filter: Some(Filter::condition(
                Field::Type,
                Operator::Eq,
                Some(FilterValue::Scalar(Scalar::String("it's".to_string()))),
            )),
            ..QueryBody::default()
        };
        let command = curl_command(
            "https://api.analytics.inkeep.com/",
            View::Conversations,
            &body,
            CurlAuth::KeyFromEnvironment,
        );
        assert!(
            command
                .starts_with("curl -sS -X POST 'https://api.analytics.inkeep.com/query/conversations' \\\n")
        );
        assert!(command.contains("-H \"Authorization: Bearer $INKEEPANALYTICS_API_INTEGRATION_KEY\""));
        // The body, unquoted by a shell, is exactly the compact JSON the client sends.
        let quoted = command.rsplit("--data-raw ").next().unwrap();
        assert_eq!(unquote(quoted), serde_json::to_string(&body).unwrap());
        assert!(quoted.contains(r"it'\''s"));
        let keyless = curl_command("http://127.0.0.1:8787", View::Conversations, &body, CurlAuth::Without);
        assert!(!keyless.contains("Authorization"));
        let demo = curl_command("http://127.0.0.1:8787", View::Conversations, &body, CurlAuth::Token("demo"));
        assert!(demo.contains("-H 'Authorization: Bearer demo'"));
        // Each view's body goes to its own endpoint.
        let threads = curl_command("http://127.0.0.1:8787/", View::SemanticThreads, &body, CurlAuth::Without);
        assert!(
            threads.starts_with("curl -sS -X POST 'http://127.0.0.1:8787/query/semantic-threads' \\\n"),
            "{threads}"
        );
    }

    /// Undoes [`shell_quote`] the way a POSIX shell would.
    fn unquote(quoted: &str) -> String {
        let mut out = String::new();
        let mut in_quotes = false;
        let mut chars = quoted.chars();
        while let Some(c) = chars.next() {
            match c {
                '\'' => in_quotes = !in_quotes,
                '\\' if !in_quotes => out.extend(chars.next()),
                c => out.push(c),
            }
        }
        out
    }
}
