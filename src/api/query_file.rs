//! A query file: the JSON a user keeps one query in (`run --query FILE`, the window's
//! `--query FILE`). It has two forms, told apart by their top-level keys:
//!
//! - a plain query body (`{"select": […], "where": {…}}`), as every file written before the
//!   other views existed: it queries **conversations**;
//! - a wrapped body that names its view:
//!   `{"view": "feedback_view", "body": {…the query body…}}`. Exactly these two keys. The
//!   view is the published schema's wire name (`conversations_view`, `events_view`,
//!   `feedback_view`, `semantic_threads_view`) or its short form ([`parse_view_name`]).
//!
//! A query body has no `view` or `body` key (it refuses unknown keys), so the forms cannot
//! be mistaken for each other. The semantic-threads text search is the *body's* `query` key
//! and has nothing to do with the wrapper: `{"view": "semantic_threads_view", "body":
//! {"query": "billing"}}`.
//!
//! [`query_file_json`] writes the plain form for conversations (readable by older versions)
//! and the wrapped form for every other view.

use std::collections::BTreeMap;

use serde::de::{self, Deserializer, IgnoredAny};
use serde::{Deserialize, Serialize};

use super::query::{ParseError, QueryBody, parse_query};
use super::view::View;

/// The wrapper's key naming the view.
pub const VIEW_KEY: &str = "view";
/// The wrapper's key holding the query body.
pub const BODY_KEY: &str = "body";

/// A query file as read: the body and the view the file named, if it named one.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct QueryFile {
    /// The view the wrapped form names; `None` for a plain body.
    pub view: Option<View>,
    /// The query body.
    pub body: QueryBody,
}

impl QueryFile {
    /// The view to query: the one named, else conversations.
    pub fn view(&self) -> View {
        self.view.unwrap_or(View::Conversations)
    }

    /// The view to query when the caller also asks for one (`run --view NAME`): a plain
    /// body takes the view asked for; a file that names its view must agree with it.
    pub fn view_with(&self, asked: Option<View>) -> Result<View, ViewConflict> {
        match (self.view, asked) {
            (Some(named), Some(asked)) if named != asked => Err(ViewConflict { named, asked }),
            (Some(named), _) => Ok(named),
            (None, asked) => Ok(asked.unwrap_or(View::Conversations)),
        }
    }
}

/// A file (or preset) names one view and the caller asked for another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "the query is for the {} view (`{named}`) but the {} view (`{asked}`) was asked for; \
     drop one of them or make them agree",
    named.noun(),
    asked.noun()
)]
pub struct ViewConflict {
    /// The view the query names.
    pub named: View,
    /// The view asked for.
    pub asked: View,
}

/// A view name that is not one of the four.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{name}` is not a view; the views are {}", view_names_phrase())]
pub struct UnknownView {
    /// The name given.
    pub name: String,
}

/// `conversations_view (or conversations), events_view (or events), …`: the accepted names
/// for messages and help texts.
pub fn view_names_phrase() -> String {
    let names: Vec<String> = View::ALL
        .iter()
        .map(|view| format!("{} (or {})", view.as_str(), short_names(*view).join(", ")))
        .collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    super::view::name_list(&names, "and")
}

/// The short forms of a view's name: the wire name without `_view`, and for semantic
/// threads also the endpoint's spelling (`semantic-threads`).
fn short_names(view: View) -> &'static [&'static str] {
    match view {
        View::Conversations => &["conversations"],
        View::Events => &["events"],
        View::Feedback => &["feedback"],
        View::SemanticThreads => &["semantic_threads", "semantic-threads"],
    }
}

/// Reads a view's name: the wire name (`feedback_view`) or a short form (`feedback`,
/// `semantic_threads`, `semantic-threads`), ignoring case and surrounding spaces.
pub fn parse_view_name(name: &str) -> Result<View, UnknownView> {
    let wanted = name.trim().to_ascii_lowercase();
    View::ALL
        .into_iter()
        .find(|view| view.as_str() == wanted || short_names(*view).contains(&wanted.as_str()))
        .ok_or_else(|| UnknownView { name: name.trim().to_string() })
}

/// The wrapped form as written.
#[derive(Serialize)]
struct WrappedOut<'a> {
    view: View,
    body: &'a QueryBody,
}

/// The wrapped form as read (its keys are checked before, with better messages).
#[derive(Deserialize)]
struct WrappedIn {
    view: ViewName,
    body: QueryBody,
}

/// A view name in a file, in any form [`parse_view_name`] reads.
struct ViewName(View);

impl<'de> Deserialize<'de> for ViewName {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        parse_view_name(&name).map(ViewName).map_err(de::Error::custom)
    }
}

/// An error at the root of the document.
fn root_error(message: String) -> ParseError {
    ParseError { path: String::new(), message, line: 0, column: 0 }
}

/// Reads a query file in either form, reporting the path (`body.where.and[2]…`), line and
/// column of the first problem.
pub fn parse_query_file(text: &str) -> Result<QueryFile, ParseError> {
    // Only the top-level keys, to tell the forms apart; anything that is not an object (or
    // not JSON) is left to the body's parser, whose message says what a body is.
    let keys = match serde_json::from_str::<BTreeMap<String, IgnoredAny>>(text) {
        Ok(keys) => keys,
        Err(_) => return parse_query(text).map(|body| QueryFile { view: None, body }),
    };
    if !keys.contains_key(VIEW_KEY) && !keys.contains_key(BODY_KEY) {
        return parse_query(text).map(|body| QueryFile { view: None, body });
    }
    let example = r#"{"view": "feedback_view", "body": {"select": […]}}"#;
    if let Some(other) = keys.keys().find(|key| *key != VIEW_KEY && *key != BODY_KEY) {
        return Err(root_error(format!(
            "`{other}` does not belong beside `{VIEW_KEY}` or `{BODY_KEY}`: a query file that names its \
             view has exactly these two keys, the query going under `{BODY_KEY}`, e.g. {example}"
        )));
    }
    for key in [VIEW_KEY, BODY_KEY] {
        if !keys.contains_key(key) {
            return Err(root_error(format!(
                "a query file that names its view needs both `{VIEW_KEY}` and `{BODY_KEY}` (the query), \
                 e.g. {example}; `{key}` is missing"
            )));
        }
    }
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let wrapped: WrappedIn = serde_path_to_error::deserialize(&mut deserializer).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        ParseError {
            path: if path == "." { String::new() } else { path },
            message: strip_serde_position(&inner.to_string()),
            line: inner.line(),
            column: inner.column(),
        }
    })?;
    Ok(QueryFile { view: Some(wrapped.view.0), body: wrapped.body })
}

/// serde_json appends " at line L column C" to its messages; [`ParseError`] keeps them apart.
fn strip_serde_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(index) => message[..index].to_string(),
        None => message.to_string(),
    }
}

/// The text of a query file for `body` on `view`, pretty-printed: the plain body for
/// conversations (so older versions read it), the wrapped form otherwise.
pub fn query_file_json(view: View, body: &QueryBody) -> String {
    let text = if view == View::Conversations {
        serde_json::to_string_pretty(body)
    } else {
        serde_json::to_string_pretty(&WrappedOut { view, body })
    };
    text.unwrap_or_else(|_| "{}".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::query::{Aggregation, Field, Selection};

    #[test]
    fn a_plain_body_is_conversations() {
        let file = parse_query_file(r#"{"select":[{"type":"aggregation","aggregation":"count"}]}"#).unwrap();
        assert_eq!(file.view, None);
        assert_eq!(file.view(), View::Conversations);
        assert_eq!(file.body.select, [Selection::count()]);
        // The empty body, too.
        assert_eq!(parse_query_file("{}").unwrap(), QueryFile::default());
    }

    #[test]
    fn the_wrapped_form_names_its_view_in_any_accepted_spelling() {
        for (name, view) in [
            ("feedback_view", View::Feedback),
            ("feedback", View::Feedback),
            ("Events", View::Events),
            ("semantic_threads_view", View::SemanticThreads),
            ("semantic-threads", View::SemanticThreads),
            (" conversations ", View::Conversations),
        ] {
            let text = format!(
                r#"{{"view": "{name}", "body": {{"select":[{{"type":"aggregation","aggregation":"count","field":"id"}}]}}}}"#
            );
            let file = parse_query_file(&text).unwrap();
            assert_eq!(file.view, Some(view), "{name}");
            assert_eq!(file.body.select, [Selection::aggregate(Aggregation::Count, Field::Id)]);
        }
    }

    #[test]
    fn the_text_search_key_belongs_to_the_body_not_the_wrapper() {
        // A plain body with the semantic-threads `query` key is still a plain body.
        let plain = parse_query_file(r#"{"query":"billing"}"#).unwrap();
        assert_eq!(plain.view, None);
        assert_eq!(plain.body.query.as_deref(), Some("billing"));
        let wrapped =
            parse_query_file(r#"{"view":"semantic_threads_view","body":{"query":"billing"}}"#).unwrap();
        assert_eq!(wrapped.view, Some(View::SemanticThreads));
        assert_eq!(wrapped.body.query.as_deref(), Some("billing"));
        // `query` beside the wrapper's keys is refused, naming it.
        let error = parse_query_file(r#"{"view":"semantic_threads_view","query":"billing","body":{}}"#)
            .unwrap_err()
            .to_string();
        assert!(error.contains("`query` does not belong beside `view`"), "{error}");
    }

    #[test]
    fn errors_say_what_was_expected() {
        let unknown = parse_query_file(r#"{"view":"tickets","body":{}}"#).unwrap_err();
        assert_eq!(unknown.path, "view");
        assert!(unknown.message.contains("`tickets` is not a view"), "{unknown}");
        assert!(unknown.message.contains("feedback_view (or feedback)"), "{unknown}");
        assert_eq!(unknown.line, 1);

        let no_body = parse_query_file(r#"{"view":"events_view"}"#).unwrap_err().to_string();
        assert!(no_body.contains("`body` is missing"), "{no_body}");
        let no_view = parse_query_file(r#"{"body":{}}"#).unwrap_err().to_string();
        assert!(no_view.contains("`view` is missing"), "{no_view}");
        // A body field next to `view`: the query belongs under `body`.
        let beside = parse_query_file(r#"{"view":"events_view","select":[]}"#).unwrap_err().to_string();
        assert!(
            beside.contains("`select` does not belong beside") && beside.contains("under `body`"),
            "{beside}"
        );

        // A mistake inside the body is located inside it, with its line.
        let inner = parse_query_file(
            "{\"view\": \"feedback_view\",\n \"body\": {\"select\": [{\"type\": \"nope\"}]}}",
        )
        .unwrap_err();
        assert!(inner.path.starts_with("body.select"), "{inner:?}");
        assert_eq!(inner.line, 2);
        // A plain body's mistakes read as before.
        assert_eq!(
            parse_query_file(r#"{"select": 3}"#).unwrap_err(),
            parse_query(r#"{"select": 3}"#).unwrap_err()
        );
        assert_eq!(parse_query_file("[1]").unwrap_err(), parse_query("[1]").unwrap_err());
        assert_eq!(parse_query_file("{").unwrap_err(), parse_query("{").unwrap_err());
        // The view's value must be a string.
        let number = parse_query_file(r#"{"view": 3, "body": {}}"#).unwrap_err();
        assert_eq!(number.path, "view");
    }

    #[test]
    fn a_view_asked_for_fills_in_a_plain_body_and_must_agree_with_a_named_one() {
        let plain = QueryFile::default();
        assert_eq!(plain.view_with(None), Ok(View::Conversations));
        assert_eq!(plain.view_with(Some(View::Events)), Ok(View::Events));
        let named = QueryFile { view: Some(View::Feedback), body: QueryBody::default() };
        assert_eq!(named.view_with(None), Ok(View::Feedback));
        assert_eq!(named.view_with(Some(View::Feedback)), Ok(View::Feedback));
        let conflict = named.view_with(Some(View::Events)).unwrap_err();
        assert_eq!(conflict, ViewConflict { named: View::Feedback, asked: View::Events });
        let message = conflict.to_string();
        assert!(message.contains("`feedback_view`") && message.contains("`events_view`"), "{message}");
    }

    #[test]
    fn written_files_read_back_and_conversations_stay_plain() {
        let body = QueryBody { select: vec![Selection::count()], ..QueryBody::default() };
        let plain = query_file_json(View::Conversations, &body);
        assert!(!plain.contains("\"view\""), "{plain}");
        assert_eq!(parse_query(&plain).unwrap(), body, "older versions read it");
        for view in View::ALL {
            let text = query_file_json(view, &body);
            let read = parse_query_file(&text).unwrap();
            assert_eq!(read.view(), view);
            assert_eq!(read.body, body);
        }
        let wrapped = query_file_json(View::SemanticThreads, &body);
        assert!(wrapped.contains("\"view\": \"semantic_threads_view\""), "{wrapped}");
    }

    #[test]
    fn view_names_read_in_every_form_and_unknown_ones_list_the_choices() {
        for view in View::ALL {
            assert_eq!(parse_view_name(view.as_str()), Ok(view));
            assert_eq!(parse_view_name(&view.as_str().to_uppercase()), Ok(view));
            for short in short_names(view) {
                assert_eq!(parse_view_name(short), Ok(view));
            }
        }
        let error = parse_view_name("thread").unwrap_err().to_string();
        assert_eq!(
            error,
            "`thread` is not a view; the views are conversations_view (or conversations), events_view (or \
             events), feedback_view (or feedback) and semantic_threads_view (or semantic_threads, \
             semantic-threads)"
        );
    }
}
