//! The UI-owned, editable form of a query.
//!
//! A [`QueryDraft`] may hold states the wire model cannot: a number field holding
//! `"12a"`, a half-typed date, JSON that does not parse yet, a condition whose value
//! does not fit its operator. The user never loses what they typed; [`QueryDraft::to_body`]
//! turns the draft into a [`QueryBody`] or explains, with wire paths such as
//! `where.and[1].condition.value`, what is still wrong.
//!
//! Selections, group-by keys and sort keys are stored in their wire types: every state
//! the form can put them in is representable there, and validation reports the rest.
//! Only the filter tree needs a draft form, because values are typed as text.
//!
//! Round trip: for every body `b` that passes validation,
//! `QueryDraft::from_body(&b).to_body() == Ok(b)`.
//!
//! # One responsibility
//!
//! The draft and its two conversions (from a body, to a body with located problems) belong
//! together: every draft type's `from_…` and `to_…` mirror each other, and the round-trip
//! tests beside them check that pair by pair. Editing operations live in the form
//! (`query_form/`), the view switch in `view_switch.rs`.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Number, Value};

use crate::api::query::{
    Condition, Field, Filter, FilterValue, GroupBy, Operator, OperatorArity, OrderBy, PathTarget, QueryBody,
    Scalar, Selection,
};
use crate::api::validate::{Problem, validate};
use crate::api::view::View;
use crate::relative_time::{RelativeTime, Resolved, is_concrete_time, resolve_relative_times};

/// The editable query: what the form shows and the user changes.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct QueryDraft {
    /// The view queried. Part of the draft so a view switch is one undoable edit like any
    /// other; drafts saved before views existed load as conversations.
    pub view: View,
    /// The free-text `query` search of semantic threads; `None` when absent.
    pub text_search: Option<String>,
    /// Columns to return, in wire form.
    pub select: Vec<Selection>,
    /// Grouping keys, in wire form.
    pub group_by: Vec<GroupBy>,
    /// The filter tree; `None` when the query does not filter.
    pub filter: Option<FilterDraft>,
    /// Sort keys, in wire form (the column may be one the query no longer produces).
    pub order_by: Vec<OrderBy>,
    /// The note; `None` when absent (an empty edit removes it).
    pub notes: Option<String>,
}

/// A node of the filter tree being edited.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum FilterDraft {
    /// One comparison.
    Condition(ConditionDraft),
    /// An AND / OR of sub-filters (possibly empty while being built).
    Group(GroupDraft),
}

/// Whether a group needs all or any of its items to match.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum GroupKind {
    /// Every item matches (`and`).
    #[default]
    And,
    /// At least one item matches (`or`).
    Or,
}

impl GroupKind {
    /// The wire key, also the label in the form: `and` / `or`.
    pub fn as_str(self) -> &'static str {
        match self {
            GroupKind::And => "and",
            GroupKind::Or => "or",
        }
    }
}

/// An AND / OR group.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct GroupDraft {
    /// AND or OR.
    pub kind: GroupKind,
    /// The sub-filters, in order.
    pub items: Vec<FilterDraft>,
}

/// One condition being edited.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ConditionDraft {
    /// The field compared.
    pub field: Field,
    /// The comparison.
    pub operator: Operator,
    /// What it is compared with, as typed.
    pub value: ValueDraft,
}

impl Default for ConditionDraft {
    fn default() -> Self {
        ConditionDraft {
            field: Field::Type,
            operator: Operator::Eq,
            value: ValueDraft { form: ValueForm::Scalar, ..ValueDraft::default() },
        }
    }
}

/// Which value form a condition sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ValueForm {
    /// No value (`isNull`, `isNotNull`).
    #[default]
    None,
    /// One scalar: [`ValueDraft::scalar`].
    Scalar,
    /// A list of scalars: [`ValueDraft::list`].
    List,
    /// A JSON object: [`ValueDraft::json`].
    Json,
    /// `{path, value}`: [`ValueDraft::path`] and [`ValueDraft::target`].
    Path,
    /// `"value": null` as written in a body (kept so that the body round-trips; the
    /// validator says which operators refuse it).
    Null,
}

/// What the value at a JSON path is compared with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum TargetForm {
    /// [`ValueDraft::scalar`].
    #[default]
    Scalar,
    /// [`ValueDraft::list`].
    List,
    /// JSON null.
    Null,
}

/// The value editors of a condition. All buffers are kept whichever form is active, so
/// switching the operator back and forth loses nothing.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ValueDraft {
    /// The form sent on the wire.
    pub form: ValueForm,
    /// The scalar editor (also the target of a `{path, value}` pair).
    pub scalar: ScalarDraft,
    /// The list editor (also the target of a `{path, value}` pair).
    pub list: Vec<ScalarDraft>,
    /// The JSON object editor, as typed.
    pub json: String,
    /// The path of a `{path, value}` pair.
    pub path: Vec<String>,
    /// What the pair compares the value at `path` with.
    pub target: TargetForm,
}

/// The type a scalar is sent as.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ScalarKind {
    /// A JSON string.
    #[default]
    String,
    /// A JSON number.
    Number,
    /// `true` / `false`.
    Bool,
}

impl ScalarKind {
    /// Every kind, in the order the form offers them.
    pub const ALL: [ScalarKind; 3] = [ScalarKind::String, ScalarKind::Number, ScalarKind::Bool];

    /// A short label for the type chooser.
    pub fn label(self) -> &'static str {
        match self {
            ScalarKind::String => "text",
            ScalarKind::Number => "number",
            ScalarKind::Bool => "true/false",
        }
    }
}

/// A scalar as typed: its kind and its text (`"true"` / `"false"` for booleans).
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ScalarDraft {
    /// How the text is sent.
    pub kind: ScalarKind,
    /// The text as typed.
    pub text: String,
}

impl ScalarDraft {
    /// A draft of the given kind and text.
    pub fn new(kind: ScalarKind, text: impl Into<String>) -> ScalarDraft {
        ScalarDraft { kind, text: text.into() }
    }

    /// The draft of a wire scalar; numbers keep their written form.
    pub fn from_scalar(scalar: &Scalar) -> ScalarDraft {
        match scalar {
            Scalar::String(s) => ScalarDraft::new(ScalarKind::String, s.clone()),
            Scalar::Number(n) => ScalarDraft::new(ScalarKind::Number, n.to_string()),
            Scalar::Bool(b) => ScalarDraft::new(ScalarKind::Bool, if *b { "true" } else { "false" }),
        }
    }

    /// The wire scalar, or why the text does not fit the kind.
    pub fn parse(&self) -> Result<Scalar, String> {
        match self.kind {
            ScalarKind::String => Ok(Scalar::String(self.text.clone())),
            ScalarKind::Number => parse_number(&self.text).map(Scalar::Number),
            ScalarKind::Bool => match self.text.trim() {
                "true" => Ok(Scalar::Bool(true)),
                "false" => Ok(Scalar::Bool(false)),
                other => Err(format!("“{other}” is not true or false")),
            },
        }
    }
}

/// Parses a JSON number as typed (`12`, `-3.5`, `1e3`), with a message fit for the form.
pub fn parse_number(text: &str) -> Result<Number, String> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err("enter a number".to_string());
    }
    trimmed.parse::<Number>().map_err(|_| format!("“{trimmed}” is not a number"))
}

/// Checks a `firstMessageTime` value: RFC 3339 (`2024-05-01T12:00:00Z`), a date written
/// exactly `YYYY-MM-DD`, or a relative time (`last 30 days`, `this week`, `now - 7 days`)
/// that is resolved when the query runs. Returns a message fit for the form.
pub fn check_timestamp(text: &str) -> Result<(), String> {
    if text.trim().is_empty() {
        return Err("enter a date (YYYY-MM-DD), a time (RFC 3339) or a relative time such as “last 30 days”"
            .to_string());
    }
    if crate::api::timestamp::is_filter_timestamp(text) {
        return Ok(());
    }
    match RelativeTime::parse(text) {
        Ok(_) => Ok(()),
        Err(err) => Err(format!(
            "“{text}” is not a date (YYYY-MM-DD), a time (RFC 3339, e.g. 2024-05-01T12:00:00Z) or a relative \
             time: {}",
            err.message
        )),
    }
}

/// What a relative `firstMessageTime` value stands for right now, for the hint beside the
/// value editor (`this week` → `2026-11-23 … 2026-11-30 UTC`, the end excluded);
/// `None` for a concrete time or text that is not a relative time.
pub fn relative_time_hint(text: &str, now: jiff::Timestamp) -> Option<String> {
    if text.trim().is_empty() || is_concrete_time(text) {
        return None;
    }
    let resolved = RelativeTime::parse(text).ok()?.resolve(now).ok()?;
    // Compact, to fit beside the field: midnight shows as the date alone.
    let short = |at: jiff::Timestamp| {
        if at.as_second().rem_euclid(86_400) == 0 && at.subsec_nanosecond() == 0 {
            at.strftime("%Y-%m-%d").to_string()
        } else {
            at.strftime("%Y-%m-%d %H:%M:%S").to_string()
        }
    };
    Some(match resolved {
        Resolved::Instant(at) => format!("{} UTC", short(at)),
        Resolved::Range { start, end } => format!("{} … {} UTC", short(start), short(end)),
    })
}

/// Parses the JSON object editor's text, with line and column on failure.
pub fn parse_json_object(text: &str) -> Result<Map<String, Value>, String> {
    if text.trim().is_empty() {
        return Err("enter a JSON object, e.g. {\"source\": \"slack\"}".to_string());
    }
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err("must be a JSON object ({…})".to_string()),
        Err(err) => Err(format!("invalid JSON: {err}")),
    }
}

/// Shows a JSON path as one line: keys joined by `.`, a `.` inside a key written `\.`.
///
/// `path_from_text(&path_to_text(p)) == p` for every path whose keys do not end in `\`,
/// and `path_to_text(&path_from_text(t)) == t` for every text, so editing is stable.
pub fn path_to_text(path: &[String]) -> String {
    let mut out = String::new();
    for (i, key) in path.iter().enumerate() {
        if i > 0 {
            out.push('.');
        }
        out.push_str(&key.replace('.', "\\."));
    }
    out
}

/// Reads a path typed as `a.b.c` (see [`path_to_text`]); the empty text is the empty path.
pub fn path_from_text(text: &str) -> Vec<String> {
    if text.is_empty() {
        return Vec::new();
    }
    let mut keys = Vec::new();
    let mut current = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'.') => {
                current.push('.');
                chars.next();
            }
            '.' => keys.push(std::mem::take(&mut current)),
            other => current.push(other),
        }
    }
    keys.push(current);
    keys
}

/// The scalar kind a non-JSON field's values have; `None` for JSON fields (the user chooses).
pub fn natural_kind(field: Field) -> Option<ScalarKind> {
    if field.is_json() {
        None
    } else if field.is_numeric() {
        Some(ScalarKind::Number)
    } else if field.is_boolean() {
        Some(ScalarKind::Bool)
    } else {
        Some(ScalarKind::String)
    }
}

/// The value form an operator takes on a field, with or without a JSON path.
pub fn natural_form(field: Field, operator: Operator, at_path: bool) -> ValueForm {
    if at_path && field.is_json() {
        return ValueForm::Path;
    }
    match operator.arity() {
        OperatorArity::None => ValueForm::None,
        OperatorArity::Scalar => ValueForm::Scalar,
        OperatorArity::List => ValueForm::List,
        OperatorArity::JsonObject => ValueForm::Json,
    }
}

/// What a `{path, value}` pair compares with under an operator: a list for the list
/// operators, else one value (`eq` / `neq` may also compare with null, chosen in the form).
pub fn natural_target(operator: Operator) -> TargetForm {
    match operator.arity() {
        OperatorArity::List => TargetForm::List,
        OperatorArity::None | OperatorArity::Scalar | OperatorArity::JsonObject => TargetForm::Scalar,
    }
}

/// True when a `{path, value}` pair under `operator` may compare with null (a missing value).
pub fn accepts_null_target(operator: Operator) -> bool {
    matches!(operator, Operator::Eq | Operator::Neq)
}

/// True for operators whose values are keys of a JSON field (`jsonHasKey`, key lists).
pub fn takes_keys(operator: Operator) -> bool {
    matches!(operator, Operator::JsonHasKey | Operator::JsonHasAnyKey | Operator::JsonHasAllKeys)
}

/// The operators the form offers for a field (with or without a JSON path), in menu order.
///
/// A whole JSON field takes the JSON operators and the null tests; a value at a path is
/// compared (`eq` with null tests for a missing value) or searched for keys and items.
pub fn operators_for(field: Field, at_path: bool) -> Vec<Operator> {
    use Operator::*;
    if field.is_json() {
        if at_path {
            vec![
                Eq,
                Neq,
                Gt,
                Gte,
                Lt,
                Lte,
                In,
                NotIn,
                ArrayContains,
                JsonHasKey,
                JsonHasAnyKey,
                JsonHasAllKeys,
            ]
        } else {
            vec![
                IsNull,
                IsNotNull,
                JsonHasKey,
                JsonHasAnyKey,
                JsonHasAllKeys,
                JsonContains,
                JsonContainedBy,
                JsonArrayContainsObject,
                ArrayContains,
            ]
        }
    } else if field == Field::Type {
        // The type is one of a few names: ordering them means nothing to a reader.
        vec![Eq, Neq, In, NotIn, IsNull, IsNotNull]
    } else if field.is_boolean() {
        // true / false: equal or not, or unknown.
        vec![Eq, Neq, IsNull, IsNotNull]
    } else if field.is_string_array() {
        // `languages`, `conversationIds`: does the array hold a value.
        vec![ArrayContains, IsNull, IsNotNull]
    } else {
        vec![Eq, Neq, Gt, Gte, Lt, Lte, In, NotIn, IsNull, IsNotNull]
    }
}

impl ValueDraft {
    /// True when the condition compares a value at a JSON path.
    pub fn is_at_path(&self) -> bool {
        self.form == ValueForm::Path
    }

    /// Switches to `form`, carrying what can be carried between the editors: a scalar
    /// seeds an empty list, the first list item seeds an empty scalar.
    pub fn switch_form(&mut self, form: ValueForm, target: TargetForm) {
        let wants_list = form == ValueForm::List || (form == ValueForm::Path && target == TargetForm::List);
        let wants_scalar =
            form == ValueForm::Scalar || (form == ValueForm::Path && target == TargetForm::Scalar);
        if wants_list && self.list.is_empty() && !self.scalar.text.is_empty() {
            self.list.push(self.scalar.clone());
        }
        if wants_scalar
            && self.scalar.text.is_empty()
            && let Some(first) = self.list.first()
        {
            self.scalar = first.clone();
        }
        self.form = form;
        if form == ValueForm::Path {
            self.target = target;
        }
    }
}

impl ConditionDraft {
    /// Changes the field, keeping the operator and value where they still fit.
    pub fn set_field(&mut self, field: Field) {
        if self.field == field {
            return;
        }
        self.field = field;
        let at_path = field.is_json() && !self.value.path.is_empty();
        if !operators_for(field, at_path).contains(&self.operator) {
            self.operator = operators_for(field, at_path).first().copied().unwrap_or(Operator::Eq);
        }
        if let Some(kind) = natural_kind(field) {
            self.value.scalar.kind = kind;
            for item in &mut self.value.list {
                item.kind = kind;
            }
        }
        let form = natural_form(field, self.operator, at_path);
        self.value.switch_form(form, natural_target(self.operator));
    }

    /// Changes the operator, keeping the value where it still fits.
    pub fn set_operator(&mut self, operator: Operator) {
        self.operator = operator;
        let at_path = self.field.is_json() && self.value.is_at_path();
        if takes_keys(operator) {
            self.value.scalar.kind = ScalarKind::String;
            for item in &mut self.value.list {
                item.kind = ScalarKind::String;
            }
        }
        let form = natural_form(self.field, operator, at_path);
        let keeps_null = at_path && self.value.target == TargetForm::Null && accepts_null_target(operator);
        let target = if keeps_null { TargetForm::Null } else { natural_target(operator) };
        self.value.switch_form(form, target);
    }

    /// Sets the JSON path typed in the form: a non-empty path compares the value there,
    /// the empty path goes back to comparing the whole field.
    pub fn set_path(&mut self, path: Vec<String>) {
        let was_at_path = self.value.is_at_path();
        let at_path = !path.is_empty();
        self.value.path = path;
        if was_at_path == at_path {
            return;
        }
        if !operators_for(self.field, at_path).contains(&self.operator) {
            let fallback = if at_path { Operator::Eq } else { Operator::JsonHasKey };
            self.operator = fallback;
        }
        let form = natural_form(self.field, self.operator, at_path);
        self.value.switch_form(form, natural_target(self.operator));
    }
}

/// Collects draft-level problems while a body is built.
struct Collector {
    problems: Vec<Problem>,
}

impl Collector {
    fn push(&mut self, path: String, message: String) {
        self.problems.push(Problem { path, message });
    }
}

impl QueryDraft {
    /// The draft of a conversations body; every valid body round-trips through
    /// [`QueryDraft::to_body`].
    pub fn from_body(body: &QueryBody) -> QueryDraft {
        QueryDraft::from_body_in(View::Conversations, body)
    }

    /// The draft of a body sent to `view`.
    pub fn from_body_in(view: View, body: &QueryBody) -> QueryDraft {
        QueryDraft {
            view,
            text_search: body.query.clone(),
            select: body.select.clone(),
            group_by: body.group_by.clone(),
            filter: body.filter.as_ref().map(FilterDraft::from_filter),
            order_by: body.order_by.clone(),
            notes: body.notes.clone(),
        }
    }

    /// The body, or every problem: first the draft's own (a bad number, date or JSON text,
    /// each with its wire path), then those [`validate`] finds in the body.
    pub fn to_body(&self) -> Result<QueryBody, Vec<Problem>> {
        let mut collector = Collector { problems: Vec::new() };
        let body = self.build(&mut collector);
        let mut problems = collector.problems;
        // Relative times ("last 30 days") stay in the body (presets and history keep them);
        // the server sees them resolved, so that is what is validated.
        let resolved = match resolve_relative_times(&body, jiff::Timestamp::now()) {
            Ok(resolved) => resolved,
            Err(err) => {
                let problem = err.to_problem();
                if !problems.iter().any(|own| path_within(&problem.path, &own.path)) {
                    problems.push(problem);
                }
                body.clone()
            }
        };
        let own_count = problems.len();
        for problem in validate(self.view, &resolved) {
            // The draft's message about a value is the more precise one; don't say it twice.
            let already = problems.iter().take(own_count).any(|own| path_within(&problem.path, &own.path));
            if !already {
                problems.push(problem);
            }
        }
        if problems.is_empty() { Ok(body) } else { Err(problems) }
    }

    /// The body as far as it can be built: values that do not parse are sent as the text
    /// typed (a number `12a` as the string `"12a"`, JSON that does not parse as an empty
    /// object). For previews such as the request inspector and the order-by picker.
    pub fn best_effort_body(&self) -> QueryBody {
        self.build(&mut Collector { problems: Vec::new() })
    }

    /// Just the parts that decide the result columns (select and group-by); cheap enough
    /// to call every frame.
    pub fn columns_body(&self) -> QueryBody {
        QueryBody { select: self.select.clone(), group_by: self.group_by.clone(), ..QueryBody::default() }
    }

    fn build(&self, collector: &mut Collector) -> QueryBody {
        QueryBody {
            // Only semantic threads take it: a view switch drops it (with a notice), and a
            // body that brings it to another view is refused by the validator, by name.
            query: self.text_search.clone(),
            select: self.select.clone(),
            group_by: self.group_by.clone(),
            filter: self.filter.as_ref().map(|f| f.build("where".to_string(), collector)),
            order_by: self.order_by.clone(),
            notes: self.notes.clone(),
        }
    }
}

/// True when `path` is `prefix` or lies inside it (`where.and[1]` is inside `where`, but
/// `select[10]` is not inside `select[1]`).
pub fn path_within(path: &str, prefix: &str) -> bool {
    match path.strip_prefix(prefix) {
        Some(rest) => rest.is_empty() || rest.starts_with('.') || rest.starts_with('[') || prefix.is_empty(),
        None => false,
    }
}

impl FilterDraft {
    /// The draft of a wire filter.
    pub fn from_filter(filter: &Filter) -> FilterDraft {
        match filter {
            Filter::Condition(condition) => FilterDraft::Condition(ConditionDraft::from_condition(condition)),
            Filter::And(items) => FilterDraft::Group(GroupDraft {
                kind: GroupKind::And,
                items: items.iter().map(FilterDraft::from_filter).collect(),
            }),
            Filter::Or(items) => FilterDraft::Group(GroupDraft {
                kind: GroupKind::Or,
                items: items.iter().map(FilterDraft::from_filter).collect(),
            }),
        }
    }

    /// Number of conditions in the tree.
    pub fn condition_count(&self) -> usize {
        match self {
            FilterDraft::Condition(_) => 1,
            FilterDraft::Group(group) => group.items.iter().map(FilterDraft::condition_count).sum(),
        }
    }

    fn build(&self, path: String, collector: &mut Collector) -> Filter {
        match self {
            FilterDraft::Condition(condition) => {
                Filter::Condition(condition.build(&format!("{path}.condition"), collector))
            }
            FilterDraft::Group(group) => {
                let key = group.kind.as_str();
                let items = group
                    .items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| item.build(format!("{path}.{key}[{i}]"), collector))
                    .collect();
                match group.kind {
                    GroupKind::And => Filter::And(items),
                    GroupKind::Or => Filter::Or(items),
                }
            }
        }
    }
}

impl ConditionDraft {
    /// The draft of a wire condition.
    pub fn from_condition(condition: &Condition) -> ConditionDraft {
        let mut value = ValueDraft::default();
        match &condition.value {
            None => value.form = ValueForm::None,
            Some(FilterValue::Null) => value.form = ValueForm::Null,
            Some(FilterValue::Scalar(scalar)) => {
                value.form = ValueForm::Scalar;
                value.scalar = ScalarDraft::from_scalar(scalar);
            }
            Some(FilterValue::List(items)) => {
                value.form = ValueForm::List;
                value.list = items.iter().map(ScalarDraft::from_scalar).collect();
            }
            Some(FilterValue::Json(map)) => {
                value.form = ValueForm::Json;
                value.json = serde_json::to_string_pretty(map).unwrap_or_default();
            }
            Some(FilterValue::Path { path, value: target }) => {
                value.form = ValueForm::Path;
                value.path = path.clone();
                match target {
                    PathTarget::Scalar(scalar) => {
                        value.target = TargetForm::Scalar;
                        value.scalar = ScalarDraft::from_scalar(scalar);
                    }
                    PathTarget::List(items) => {
                        value.target = TargetForm::List;
                        value.list = items.iter().map(ScalarDraft::from_scalar).collect();
                    }
                    PathTarget::Null => value.target = TargetForm::Null,
                }
            }
        }
        if value.form != ValueForm::Scalar
            && value.form != ValueForm::Path
            && let Some(kind) = natural_kind(condition.field)
        {
            // The hidden scalar editor starts with the field's own type, ready for a switch.
            value.scalar.kind = kind;
        }
        ConditionDraft { field: condition.field, operator: condition.operator, value }
    }

    /// `path` is the condition's wire path (`where.and[1].condition`).
    fn build(&self, path: &str, collector: &mut Collector) -> Condition {
        let value_path = format!("{path}.value");
        let is_time = self.field.is_timestamp();
        let value = match self.value.form {
            ValueForm::None => None,
            ValueForm::Null => Some(FilterValue::Null),
            ValueForm::Scalar => {
                Some(FilterValue::Scalar(build_scalar(&self.value.scalar, is_time, value_path, collector)))
            }
            ValueForm::List => {
                Some(FilterValue::List(build_list(&self.value.list, is_time, &value_path, collector)))
            }
            ValueForm::Json => match parse_json_object(&self.value.json) {
                Ok(map) => Some(FilterValue::Json(map)),
                Err(message) => {
                    collector.push(value_path, message);
                    Some(FilterValue::Json(Map::new()))
                }
            },
            ValueForm::Path => {
                let target_path = format!("{value_path}.value");
                let target = match self.value.target {
                    TargetForm::Scalar => {
                        PathTarget::Scalar(build_scalar(&self.value.scalar, false, target_path, collector))
                    }
                    TargetForm::List => {
                        PathTarget::List(build_list(&self.value.list, false, &target_path, collector))
                    }
                    TargetForm::Null => PathTarget::Null,
                };
                Some(FilterValue::Path { path: self.value.path.clone(), value: target })
            }
        };
        Condition { field: self.field, operator: self.operator, value }
    }
}

fn build_scalar(draft: &ScalarDraft, is_time: bool, path: String, collector: &mut Collector) -> Scalar {
    match draft.parse() {
        Ok(scalar) => {
            if is_time
                && let Scalar::String(text) = &scalar
                && let Err(message) = check_timestamp(text)
            {
                collector.push(path, message);
            }
            scalar
        }
        Err(message) => {
            collector.push(path, message);
            Scalar::String(draft.text.clone())
        }
    }
}

fn build_list(items: &[ScalarDraft], is_time: bool, path: &str, collector: &mut Collector) -> Vec<Scalar> {
    items
        .iter()
        .enumerate()
        .map(|(i, item)| build_scalar(item, is_time, format!("{path}[{i}]"), collector))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::query::{Direction, FieldMode, parse_query};
    use serde_json::json;

    fn body(value: serde_json::Value) -> QueryBody {
        parse_query(&value.to_string()).unwrap()
    }

    fn round_trips(value: serde_json::Value) {
        let b = body(value.clone());
        let draft = QueryDraft::from_body(&b);
        assert_eq!(draft.to_body(), Ok(b.clone()), "round trip of {value}");
        // The draft survives its own persistence too.
        let saved = serde_json::to_string(&draft).unwrap();
        let loaded: QueryDraft = serde_json::from_str(&saved).unwrap();
        assert_eq!(loaded, draft);
        assert_eq!(serde_json::to_value(loaded.to_body().unwrap()).unwrap(), value);
    }

    fn cond(field: &str, operator: &str, value: Option<serde_json::Value>) -> serde_json::Value {
        match value {
            Some(v) => json!({"condition": {"field": field, "operator": operator, "value": v}}),
            None => json!({"condition": {"field": field, "operator": operator}}),
        }
    }

    #[test]
    fn an_absent_value_and_a_null_value_each_survive_the_form() {
        // isNull with and without `"value": null`: both are valid and both are kept.
        for value in [None, Some(json!(null))] {
            round_trips(json!({"where": cond("type", "isNull", value.clone())}));
            round_trips(json!({"where": {"and": [
                cond("properties", "isNotNull", value),
                cond("properties", "eq", Some(json!({"path": ["source"], "value": null}))),
            ]}}));
        }
        // `eq null` is refused (it matches nothing), but the draft keeps the null as it was.
        let text = json!({"where": cond("type", "eq", Some(json!(null)))});
        let draft = QueryDraft::from_body(&body(text.clone()));
        let Some(FilterDraft::Condition(condition)) = &draft.filter else { panic!("{draft:?}") };
        assert_eq!(condition.value.form, ValueForm::Null);
        let problems = draft.to_body().unwrap_err();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].path, "where.condition.value");
        assert!(problems[0].message.contains("isNull"), "{}", problems[0].message);
        // What the inspector shows while the problem stands is the body as written.
        assert_eq!(serde_json::to_value(draft.best_effort_body()).unwrap(), text);
    }

    #[test]
    fn relative_times_are_kept_in_the_body_and_validated_resolved() {
        let query = body(json!({
            "select": [{"type": "aggregation", "aggregation": "count"}],
            "where": {"and": [
                cond("firstMessageTime", "gte", Some(json!("last 30 days"))),
                cond("firstMessageTime", "lt", Some(json!("this week"))),
            ]}
        }));
        let draft = QueryDraft::from_body(&query);
        // The body keeps the words: presets and history store them as written.
        assert_eq!(draft.to_body().unwrap(), query);
        assert_eq!(check_timestamp("previous month"), Ok(()));
        assert_eq!(check_timestamp("2024-05-01"), Ok(()));

        let typo = body(json!({
            "select": [{"type": "aggregation", "aggregation": "count"}],
            "where": {"and": [
                cond("type", "eq", Some(json!("openai"))),
                cond("firstMessageTime", "gte", Some(json!("last 30 dayz"))),
            ]}
        }));
        let problems = QueryDraft::from_body(&typo).to_body().unwrap_err();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].path, "where.and[1].condition.value");
        let message = check_timestamp("last 30 dayz").unwrap_err();
        assert!(message.contains("relative"), "{message}");
        // A range cannot be used with `in`-style operators; the error names the value.
        let range_eq = body(json!({
            "select": [{"type": "aggregation", "aggregation": "count"}],
            "where": cond("firstMessageTime", "eq", Some(json!("previous month")))
        }));
        assert!(QueryDraft::from_body(&range_eq).to_body().is_ok(), "eq a range becomes a between");
    }

    #[test]
    fn relative_time_hint_shows_the_resolution_only_for_relative_text() {
        let now = "2026-11-26T10:00:00Z".parse::<jiff::Timestamp>().unwrap();
        assert_eq!(relative_time_hint("this week", now).as_deref(), Some("2026-11-23 … 2026-11-30 UTC"));
        assert_eq!(relative_time_hint("now - 1 day", now).as_deref(), Some("2026-11-25 10:00:00 UTC"));
        assert_eq!(relative_time_hint("2026-11-01", now), None);
        assert_eq!(relative_time_hint("nonsense", now), None);
    }

    #[test]
    fn empty_body_round_trips() {
        round_trips(json!({}));
        assert_eq!(QueryDraft::default().to_body(), Ok(QueryBody::default()));
    }

    #[test]
    fn every_selection_shape_round_trips() {
        round_trips(json!({"select": [
            {"type": "field", "field": "id"},
            {"type": "field", "field": "properties"},
            {"type": "field", "field": "userProperties", "mode": "json"},
            {"type": "field", "field": "properties", "path": ["source"]},
            {"type": "field", "field": "userProperties", "path": ["a", "b.c"]}
        ]}));
        round_trips(json!({"select": [{"type": "field", "field": "properties", "mode": "unpack"}]}));
        round_trips(json!({
            "select": [
                {"type": "aggregation", "aggregation": "count"},
                {"type": "aggregation", "aggregation": "sum", "field": "userMessageCount"},
                {"type": "aggregation", "aggregation": "countDistinct", "field": "userProperties", "path": ["userId"]},
                {"type": "aggregation", "aggregation": "avg", "field": "userMessageCount"},
                {"type": "aggregation", "aggregation": "min", "field": "firstMessageTime"},
                {"type": "aggregation", "aggregation": "max", "field": "userMessageCount"},
                {"type": "time", "timeUnit": "hour"},
                {"type": "time", "timeUnit": "day", "field": "firstMessageTime"},
                {"type": "time", "timeUnit": "week"},
                {"type": "time", "timeUnit": "month"}
            ],
            "groupBy": [
                {"field": "type"},
                {"field": "properties", "path": ["source"], "includeInSelect": false},
                {"field": "projectId", "includeInSelect": true}
            ],
            "orderBy": [{"field": "sum_userMessageCount", "direction": "desc"}, {"field": "type", "direction": "asc"}],
            "notes": "weekly report"
        }));
    }

    #[test]
    fn every_operator_and_value_form_round_trips() {
        let conditions = vec![
            cond("type", "eq", Some(json!("openai"))),
            cond("type", "neq", Some(json!("support_ticket"))),
            cond("userMessageCount", "gt", Some(json!(3))),
            cond("userMessageCount", "gte", Some(json!(2.5))),
            cond("userMessageCount", "lt", Some(json!(-1))),
            cond("firstMessageTime", "lte", Some(json!("2024-05-01T12:00:00Z"))),
            cond("firstMessageTime", "gte", Some(json!("2024-05-01"))),
            cond("type", "in", Some(json!(["openai", "support_copilot"]))),
            cond("userMessageCount", "notIn", Some(json!([1, 2, 3]))),
            cond("integrationId", "isNull", None),
            cond("integrationId", "isNotNull", None),
            cond("properties", "arrayContains", Some(json!({"path": ["tags"], "value": "x"}))),
            cond(
                "properties",
                "jsonContains",
                Some(json!({"source": "slack", "n": 1, "deep": {"a": [1, true]}})),
            ),
            cond("userProperties", "jsonContainedBy", Some(json!({"userType": "admin"}))),
            cond("properties", "jsonHasKey", Some(json!("source"))),
            cond("properties", "jsonArrayContainsObject", Some(json!({"items": {"id": 1}}))),
            cond("properties", "jsonHasAnyKey", Some(json!(["a", "b"]))),
            cond("userProperties", "jsonHasAllKeys", Some(json!(["userId", "userType"]))),
            cond("properties", "eq", Some(json!({"path": ["source"], "value": "slack"}))),
            cond("properties", "eq", Some(json!({"path": ["flag"], "value": true}))),
            cond("properties", "gt", Some(json!({"path": ["score", "total"], "value": 4.25}))),
            cond("properties", "in", Some(json!({"path": ["source"], "value": ["slack", 2, false]}))),
            cond("userProperties", "eq", Some(json!({"path": ["userId"], "value": null}))),
            cond("userProperties", "neq", Some(json!({"path": ["n"], "value": 0}))),
            cond("properties", "jsonHasKey", Some(json!({"path": ["meta"], "value": "k"}))),
            cond("properties", "jsonHasAnyKey", Some(json!({"path": ["meta"], "value": ["k", "l"]}))),
            cond("properties", "jsonContains", Some(json!({"path": ["tags"], "value": "x"}))),
            cond("properties", "isNull", None),
        ];
        for c in &conditions {
            round_trips(json!({ "where": c }));
        }
        round_trips(json!({ "where": { "and": conditions } }));
    }

    #[test]
    fn nested_groups_round_trip() {
        round_trips(json!({"where": {"or": [
            {"and": [
                cond("type", "eq", Some(json!("openai"))),
                {"or": [
                    cond("userMessageCount", "gte", Some(json!(5))),
                    {"and": [cond("projectId", "eq", Some(json!("p1")))]}
                ]}
            ]},
            cond("integrationId", "isNull", None)
        ]}}));
    }

    #[test]
    fn bad_number_is_reported_at_its_wire_path() {
        let mut draft = QueryDraft::from_body(&body(json!({"where": {"and": [
            cond("type", "eq", Some(json!("openai"))),
            cond("userMessageCount", "gt", Some(json!(3)))
        ]}})));
        let Some(FilterDraft::Group(group)) = &mut draft.filter else { panic!("group expected") };
        let FilterDraft::Condition(c) = &mut group.items[1] else { panic!("condition expected") };
        c.value.scalar.text = "12a".into();
        let problems = draft.to_body().unwrap_err();
        assert_eq!(problems[0].path, "where.and[1].condition.value");
        assert!(problems[0].message.contains("12a"), "{}", problems[0].message);
        // The text typed is kept, and previews still see it.
        assert_eq!(
            serde_json::to_value(draft.best_effort_body().filter).unwrap()["and"][1]["condition"]["value"],
            json!("12a")
        );
    }

    #[test]
    fn bad_list_item_date_json_and_bool_have_paths() {
        let mut list_cond = ConditionDraft { field: Field::UserMessageCount, ..ConditionDraft::default() };
        list_cond.set_operator(Operator::In);
        list_cond.value.list =
            vec![ScalarDraft::new(ScalarKind::Number, "1"), ScalarDraft::new(ScalarKind::Number, "x")];
        let mut date_cond = ConditionDraft { field: Field::FirstMessageTime, ..ConditionDraft::default() };
        date_cond.set_operator(Operator::Gte);
        date_cond.value.scalar.text = "2024-13-01".into();
        let mut json_cond = ConditionDraft { field: Field::Properties, ..ConditionDraft::default() };
        json_cond.set_operator(Operator::JsonContains);
        json_cond.value.json = "{\"a\": ".into();
        let mut bool_cond = ConditionDraft { field: Field::Properties, ..ConditionDraft::default() };
        bool_cond.set_path(vec!["flag".into()]);
        assert_eq!(bool_cond.operator, Operator::Eq);
        bool_cond.value.scalar = ScalarDraft::new(ScalarKind::Bool, "yes");
        let draft = QueryDraft {
            filter: Some(FilterDraft::Group(GroupDraft {
                kind: GroupKind::Or,
                items: vec![
                    FilterDraft::Condition(list_cond),
                    FilterDraft::Condition(date_cond),
                    FilterDraft::Condition(json_cond),
                    FilterDraft::Condition(bool_cond),
                ],
            })),
            ..QueryDraft::default()
        };
        let problems = draft.to_body().unwrap_err();
        let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(
            &paths[..4],
            [
                "where.or[0].condition.value[1]",
                "where.or[1].condition.value",
                "where.or[2].condition.value",
                "where.or[3].condition.value.value",
            ]
        );
        assert!(problems[2].message.contains("line 1"), "{}", problems[2].message);
        // Each spot is reported once, by the draft.
        assert_eq!(paths.iter().filter(|p| p.starts_with("where.or[1]")).count(), 1);
    }

    #[test]
    fn good_dates_pass_and_root_condition_path_is_where() {
        assert!(check_timestamp("2024-05-01").is_ok());
        assert!(check_timestamp("2024-05-01T08:30:00+02:00").is_ok());
        assert!(check_timestamp("2024-05-01 08:30").is_err());
        let mut c = ConditionDraft::default();
        c.set_field(Field::UserMessageCount);
        assert_eq!(c.value.scalar.kind, ScalarKind::Number);
        let draft = QueryDraft { filter: Some(FilterDraft::Condition(c)), ..QueryDraft::default() };
        let problems = draft.to_body().unwrap_err();
        assert_eq!(problems[0].path, "where.condition.value");
    }

    #[test]
    fn validation_problems_follow_draft_problems() {
        let draft = QueryDraft { notes: Some("n".repeat(81)), ..QueryDraft::default() };
        let problems = draft.to_body().unwrap_err();
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].path, "notes");
    }

    #[test]
    fn path_text_is_stable_while_typing() {
        for text in ["", "a", "a.", ".", "a.b", "a\\.b", "a\\", "a\\\\.b", "x..y"] {
            assert_eq!(path_to_text(&path_from_text(text)), text, "{text}");
        }
        assert_eq!(path_from_text("user.plan"), ["user", "plan"]);
        assert_eq!(path_from_text("a\\.b.c"), ["a.b", "c"]);
        assert!(path_from_text("").is_empty());
    }

    #[test]
    fn switching_operator_keeps_the_value() {
        let mut c = ConditionDraft::default();
        c.value.scalar.text = "openai".into();
        c.set_operator(Operator::In);
        assert_eq!(c.value.form, ValueForm::List);
        assert_eq!(c.value.list, [ScalarDraft::new(ScalarKind::String, "openai")]);
        c.set_operator(Operator::IsNull);
        assert_eq!(c.value.form, ValueForm::None);
        c.set_operator(Operator::Neq);
        assert_eq!(c.value.form, ValueForm::Scalar);
        assert_eq!(c.value.scalar.text, "openai");
        // A field of another type keeps the text and takes the field's type.
        c.set_field(Field::UserMessageCount);
        assert_eq!(c.operator, Operator::Neq);
        assert_eq!(c.value.scalar, ScalarDraft::new(ScalarKind::Number, "openai"));
        // JSON fields offer JSON operators without a path, comparisons with one.
        c.set_field(Field::Properties);
        assert!(operators_for(Field::Properties, false).contains(&c.operator));
        c.set_path(vec!["source".into()]);
        assert_eq!(c.value.form, ValueForm::Path);
        c.set_operator(Operator::Eq);
        // A null target survives `=` ⇄ `≠` but not a switch to an ordering.
        c.value.target = TargetForm::Null;
        c.set_operator(Operator::Neq);
        assert_eq!(c.value.target, TargetForm::Null);
        c.set_operator(Operator::Gt);
        assert_eq!(c.value.target, TargetForm::Scalar);
        c.set_operator(Operator::In);
        assert_eq!(c.value.target, TargetForm::List);
        c.set_operator(Operator::Eq);
        c.value.scalar = ScalarDraft::new(ScalarKind::String, "slack");
        let b = QueryDraft { filter: Some(FilterDraft::Condition(c)), ..QueryDraft::default() }.to_body();
        assert_eq!(
            serde_json::to_value(b.unwrap()).unwrap(),
            json!({"where": cond("properties", "eq", Some(json!({"path": ["source"], "value": "slack"})))})
        );
    }

    #[test]
    fn path_within_respects_boundaries() {
        assert!(path_within("select[1]", "select[1]"));
        assert!(path_within("select[1].path", "select[1]"));
        assert!(path_within("where.and[0]", "where"));
        assert!(!path_within("select[10]", "select[1]"));
        assert!(!path_within("whereabouts", "where"));
        assert!(path_within("anything", ""));
    }

    #[test]
    fn old_or_partial_drafts_load() {
        let draft: QueryDraft = serde_json::from_str(r#"{"notes":"hi","unknownFutureKey":1}"#).unwrap();
        assert_eq!(draft.notes.as_deref(), Some("hi"));
        let draft: QueryDraft =
            serde_json::from_str(r#"{"filter":{"condition":{"field":"type","operator":"eq"}}}"#).unwrap();
        assert_eq!(draft.filter.map(|f| f.condition_count()), Some(1));
        // Drafts saved before views (tabs.json, history) are conversations drafts.
        assert_eq!(draft.view, View::Conversations);
        let draft: QueryDraft = serde_json::from_str(r#"{"view":"feedback_view"}"#).unwrap();
        assert_eq!(draft.view, View::Feedback);
    }

    #[test]
    fn booleans_and_string_arrays_get_their_own_operators_and_values() {
        let mut documented = ConditionDraft::default();
        documented.set_field(Field::IsDocumented);
        assert_eq!(
            operators_for(Field::IsDocumented, false),
            [Operator::Eq, Operator::Neq, Operator::IsNull, Operator::IsNotNull]
        );
        assert_eq!(documented.value.scalar.kind, ScalarKind::Bool);
        documented.value.scalar.text = "false".into();
        let mut languages = ConditionDraft::default();
        languages.set_field(Field::Languages);
        assert_eq!(languages.operator, Operator::ArrayContains);
        assert_eq!(languages.value.form, ValueForm::Scalar);
        languages.value.scalar.text = "fr".into();
        let draft = QueryDraft {
            view: View::SemanticThreads,
            select: vec![Selection::count()],
            filter: Some(FilterDraft::Group(GroupDraft {
                kind: GroupKind::And,
                items: vec![FilterDraft::Condition(documented), FilterDraft::Condition(languages)],
            })),
            ..QueryDraft::default()
        };
        assert_eq!(
            serde_json::to_value(draft.to_body().unwrap().filter).unwrap(),
            json!({"and": [
                cond("isDocumented", "eq", Some(json!(false))),
                cond("languages", "arrayContains", Some(json!("fr")))
            ]})
        );
    }

    #[test]
    fn the_draft_is_validated_against_its_view() {
        let body = body(json!({"select": [{"type": "field", "field": "reasons"}]}));
        let problems = QueryDraft::from_body(&body).to_body().unwrap_err();
        assert!(problems[0].message.contains("not a field of the conversations view"), "{problems:?}");
        assert_eq!(QueryDraft::from_body_in(View::Feedback, &body).to_body(), Ok(body));
        // The text search goes to semantic threads only; elsewhere the validator names it.
        let mut threads = QueryDraft::from_body_in(View::SemanticThreads, &QueryBody::default());
        threads.select = vec![Selection::count()];
        threads.text_search = Some("refund".into());
        assert_eq!(threads.to_body().unwrap().query.as_deref(), Some("refund"));
        threads.view = View::Events;
        assert!(threads.to_body().unwrap_err().iter().any(|p| p.path == "query"));
    }

    #[test]
    fn wire_types_are_used_for_select_and_sort() {
        let b = QueryBody {
            select: vec![Selection::Field {
                field: Field::Properties,
                path: None,
                mode: Some(FieldMode::Json),
            }],
            group_by: vec![GroupBy::field(Field::Type)],
            order_by: vec![OrderBy { field: "type".into(), direction: Direction::Desc }],
            ..QueryBody::default()
        };
        let draft = QueryDraft::from_body(&b);
        assert_eq!(draft.select, b.select);
        assert_eq!(draft.columns_body().order_by, vec![]);
        assert_eq!(draft.columns_body().select, b.select);
    }
}
