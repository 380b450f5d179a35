//! The query body of the query endpoints (`POST /query/conversations`, `/query/events`,
//! `/query/feedback`, `/query/semantic-threads`, and their `/export` twins), as `API.md`
//! documents it. The shape is the same for every view; which fields a body may name is
//! the view's business ([`super::view`], checked by [`super::validate`]).
//!
//! Serialising produces exactly the documented JSON: camelCase keys, `type` tags on
//! selections, absent optionals omitted. Deserialising accepts every documented shape
//! and rejects anything else; [`parse_query`] reports the offending part as a path such
//! as `where.and[2].condition.operator`.

use std::fmt;

use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::{Map, Number, Value};

pub use super::field::Field;

/// The whole request body. `QueryBody::default()` (`{}`) asks for the raw rows of a view.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
// `remote = "Self"` turns the derives into inherent functions that `object_only!` wraps, so
// that only a JSON object is accepted (serde's derive would also take a positional array).
#[serde(remote = "Self", rename_all = "camelCase", deny_unknown_fields)]
pub struct QueryBody {
    /// Free-text search over the threads; only the semantic-threads view takes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
    /// Columns to return: fields, aggregations and time buckets, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub select: Vec<Selection>,
    /// Grouping keys.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub group_by: Vec<GroupBy>,
    /// The filter tree (`where` on the wire).
    #[serde(rename = "where", default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<Filter>,
    /// Sort keys, most significant first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub order_by: Vec<OrderBy>,
    /// A free-text note of at most 80 characters; the server does not persist it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
}

/// How a JSON field selection comes back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum FieldMode {
    /// Flatten the object into one `field.<key>` column per key (the default).
    #[default]
    Unpack,
    /// Keep it as one stringified JSON column.
    Json,
}

/// An aggregate function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Aggregation {
    /// Sum of a numeric field or JSON path.
    Sum,
    /// Number of rows (no field) or of non-null values.
    Count,
    /// Number of distinct non-null values.
    CountDistinct,
    /// Mean of a numeric field or JSON path (a float).
    Avg,
    /// Smallest value.
    Min,
    /// Largest value.
    Max,
}

impl Aggregation {
    /// Every aggregation, in the order the forms offer them.
    pub const ALL: [Aggregation; 6] = [
        Aggregation::Count,
        Aggregation::CountDistinct,
        Aggregation::Sum,
        Aggregation::Avg,
        Aggregation::Min,
        Aggregation::Max,
    ];

    /// The wire name, also the column-name prefix.
    pub fn as_str(self) -> &'static str {
        match self {
            Aggregation::Sum => "sum",
            Aggregation::Count => "count",
            Aggregation::CountDistinct => "countDistinct",
            Aggregation::Avg => "avg",
            Aggregation::Min => "min",
            Aggregation::Max => "max",
        }
    }

    /// `sum` and `avg` need numbers; the others work on any field.
    pub fn needs_numeric(self) -> bool {
        matches!(self, Aggregation::Sum | Aggregation::Avg)
    }
}

impl fmt::Display for Aggregation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The width of a time bucket. Buckets are in UTC; weeks start on Monday.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum TimeUnit {
    /// One hour.
    Hour,
    /// One calendar day.
    Day,
    /// One ISO week, Monday to Sunday.
    Week,
    /// One calendar month.
    Month,
}

impl TimeUnit {
    /// Every unit, shortest first.
    pub const ALL: [TimeUnit; 4] = [TimeUnit::Hour, TimeUnit::Day, TimeUnit::Week, TimeUnit::Month];

    /// The wire name, also the column-name suffix.
    pub fn as_str(self) -> &'static str {
        match self {
            TimeUnit::Hour => "hour",
            TimeUnit::Day => "day",
            TimeUnit::Week => "week",
            TimeUnit::Month => "month",
        }
    }

    /// Looks a unit up by its wire name.
    pub fn from_name(name: &str) -> Option<TimeUnit> {
        TimeUnit::ALL.into_iter().find(|u| u.as_str() == name)
    }
}

impl fmt::Display for TimeUnit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One entry of `select`, told apart on the wire by `type`.
///
/// Deserialisation is written by hand (see `SelectionVisitor`): serde's internally tagged
/// enums buffer their content, which loses the path of an error inside a selection.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Selection {
    /// `{type:"field", field, path?, mode?}`.
    Field {
        /// The field.
        field: Field,
        /// A path into a JSON field (`["userId"]` gives `properties.userId`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        path: Option<Vec<String>>,
        /// Unpack (default) or keep as one JSON column; JSON fields only.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        mode: Option<FieldMode>,
    },
    /// `{type:"aggregation", aggregation, field?, path?}`.
    Aggregation {
        /// The function.
        aggregation: Aggregation,
        /// What it aggregates; none means rows (`count` only).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        field: Option<Field>,
        /// A path into a JSON field.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        path: Option<Vec<String>>,
    },
    /// `{type:"time", timeUnit, field?}`.
    #[serde(rename_all = "camelCase")]
    Time {
        /// Bucket width.
        time_unit: TimeUnit,
        /// The timestamp field; the view's default time field (`firstMessageTime` for
        /// conversations) when absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        field: Option<Field>,
    },
}

impl Selection {
    /// A plain field selection without path or mode.
    pub fn field(field: Field) -> Selection {
        Selection::Field { field, path: None, mode: None }
    }

    /// A field selection with a JSON path.
    pub fn field_path(field: Field, path: &[&str]) -> Selection {
        Selection::Field { field, path: Some(path.iter().map(|s| s.to_string()).collect()), mode: None }
    }

    /// `count` of rows.
    pub fn count() -> Selection {
        Selection::Aggregation { aggregation: Aggregation::Count, field: None, path: None }
    }

    /// An aggregation over a field (no path).
    pub fn aggregate(aggregation: Aggregation, field: Field) -> Selection {
        Selection::Aggregation { aggregation, field: Some(field), path: None }
    }

    /// A time bucket over the view's default time field (`firstMessageTime` for conversations).
    pub fn time(time_unit: TimeUnit) -> Selection {
        Selection::Time { time_unit, field: None }
    }

    /// True for aggregations (which turn the query into a grouped one).
    pub fn is_aggregation(&self) -> bool {
        matches!(self, Selection::Aggregation { .. })
    }
}

/// One entry of `groupBy`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self", rename_all = "camelCase", deny_unknown_fields)]
pub struct GroupBy {
    /// The field to group by.
    pub field: Field,
    /// A path into a JSON field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<Vec<String>>,
    /// Whether the key becomes a result column; `true` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub include_in_select: Option<bool>,
}

impl GroupBy {
    /// Group by a plain field, key included in the result.
    pub fn field(field: Field) -> GroupBy {
        GroupBy { field, path: None, include_in_select: None }
    }

    /// Group by a JSON path, key included in the result.
    pub fn path(field: Field, path: &[&str]) -> GroupBy {
        GroupBy { field, path: Some(path.iter().map(|s| s.to_string()).collect()), include_in_select: None }
    }

    /// The effective `includeInSelect` (default `true`).
    pub fn includes_in_select(&self) -> bool {
        self.include_in_select.unwrap_or(true)
    }
}

/// The filter tree: a condition, or an AND / OR of sub-filters.
///
/// Deserialisation is written by hand (see `FilterVisitor`) so that an empty object or one
/// with two keys gets a message that says so.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Filter {
    /// `{condition:{field, operator, value?}}`.
    Condition(Condition),
    /// `{and:[Filter…]}`: every sub-filter matches.
    And(Vec<Filter>),
    /// `{or:[Filter…]}`: at least one sub-filter matches.
    Or(Vec<Filter>),
}

/// One comparison.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self", rename_all = "camelCase", deny_unknown_fields)]
pub struct Condition {
    /// The field compared.
    pub field: Field,
    /// The comparison.
    pub operator: Operator,
    /// What it is compared with; `None` when the key is absent (as for `isNull` /
    /// `isNotNull`), `Some(FilterValue::Null)` when it is written `"value": null`, so that a
    /// body is written back exactly as it was read.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "present_value")]
    pub value: Option<FilterValue>,
}

/// Reads a `value` key that is present: JSON null becomes `Some(FilterValue::Null)`, not
/// `None` as serde's `Option` would make it (`None` stands for an absent key).
fn present_value<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<FilterValue>, D::Error> {
    FilterValue::deserialize(deserializer).map(Some)
}

/// A filter operator. The JSON ones mirror PostgreSQL's JSONB operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Operator {
    /// Equal.
    Eq,
    /// Not equal (never matches null).
    Neq,
    /// Greater than.
    Gt,
    /// Greater than or equal.
    Gte,
    /// Less than.
    Lt,
    /// Less than or equal.
    Lte,
    /// One of a list.
    In,
    /// None of a list (never matches null).
    NotIn,
    /// An array value contains the scalar.
    ArrayContains,
    /// JSON containment, `@>`.
    JsonContains,
    /// JSON contained by, `<@`.
    JsonContainedBy,
    /// Top-level key present, `?`.
    JsonHasKey,
    /// A JSON array holds an object containing the given one.
    JsonArrayContainsObject,
    /// Any of the keys present, `?|`.
    JsonHasAnyKey,
    /// All of the keys present, `?&`.
    JsonHasAllKeys,
    /// The value is null.
    IsNull,
    /// The value is not null.
    IsNotNull,
}

impl Operator {
    /// All 17 operators, in the order the forms offer them.
    pub const ALL: [Operator; 17] = [
        Operator::Eq,
        Operator::Neq,
        Operator::Gt,
        Operator::Gte,
        Operator::Lt,
        Operator::Lte,
        Operator::In,
        Operator::NotIn,
        Operator::IsNull,
        Operator::IsNotNull,
        Operator::ArrayContains,
        Operator::JsonContains,
        Operator::JsonContainedBy,
        Operator::JsonHasKey,
        Operator::JsonHasAnyKey,
        Operator::JsonHasAllKeys,
        Operator::JsonArrayContainsObject,
    ];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Operator::Eq => "eq",
            Operator::Neq => "neq",
            Operator::Gt => "gt",
            Operator::Gte => "gte",
            Operator::Lt => "lt",
            Operator::Lte => "lte",
            Operator::In => "in",
            Operator::NotIn => "notIn",
            Operator::ArrayContains => "arrayContains",
            Operator::JsonContains => "jsonContains",
            Operator::JsonContainedBy => "jsonContainedBy",
            Operator::JsonHasKey => "jsonHasKey",
            Operator::JsonArrayContainsObject => "jsonArrayContainsObject",
            Operator::JsonHasAnyKey => "jsonHasAnyKey",
            Operator::JsonHasAllKeys => "jsonHasAllKeys",
            Operator::IsNull => "isNull",
            Operator::IsNotNull => "isNotNull",
        }
    }

    /// What kind of value the operator takes (for a condition without a JSON path).
    pub fn arity(self) -> OperatorArity {
        match self {
            Operator::IsNull | Operator::IsNotNull => OperatorArity::None,
            Operator::In | Operator::NotIn | Operator::JsonHasAnyKey | Operator::JsonHasAllKeys => {
                OperatorArity::List
            }
            Operator::JsonContains | Operator::JsonContainedBy | Operator::JsonArrayContainsObject => {
                OperatorArity::JsonObject
            }
            _ => OperatorArity::Scalar,
        }
    }

    /// Operators that only make sense on `properties` / `userProperties`.
    pub fn is_json_only(self) -> bool {
        matches!(
            self,
            Operator::ArrayContains
                | Operator::JsonContains
                | Operator::JsonContainedBy
                | Operator::JsonHasKey
                | Operator::JsonArrayContainsObject
                | Operator::JsonHasAnyKey
                | Operator::JsonHasAllKeys
        )
    }

    /// Ordering comparisons (`gt gte lt lte`).
    pub fn is_ordering(self) -> bool {
        matches!(self, Operator::Gt | Operator::Gte | Operator::Lt | Operator::Lte)
    }

    /// A short human label for menus ("=", "≠", "is one of", …).
    pub fn label(self) -> &'static str {
        match self {
            Operator::Eq => "=",
            Operator::Neq => "≠",
            Operator::Gt => ">",
            Operator::Gte => "≥",
            Operator::Lt => "<",
            Operator::Lte => "≤",
            Operator::In => "is one of",
            Operator::NotIn => "is none of",
            Operator::ArrayContains => "array contains",
            Operator::JsonContains => "contains JSON",
            Operator::JsonContainedBy => "contained in JSON",
            Operator::JsonHasKey => "has key",
            Operator::JsonArrayContainsObject => "array has object",
            Operator::JsonHasAnyKey => "has any key of",
            Operator::JsonHasAllKeys => "has all keys of",
            Operator::IsNull => "is empty",
            Operator::IsNotNull => "is not empty",
        }
    }
}

impl fmt::Display for Operator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The value shape an operator expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OperatorArity {
    /// No value (`isNull`, `isNotNull`).
    None,
    /// One scalar.
    Scalar,
    /// A list of scalars.
    List,
    /// A JSON object.
    JsonObject,
}

/// Sort direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Direction {
    /// Smallest first; nulls last.
    #[default]
    Asc,
    /// Largest first.
    Desc,
}

/// One entry of `orderBy`: any column the query produces.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self", rename_all = "camelCase", deny_unknown_fields)]
pub struct OrderBy {
    /// A result column name (`count`, `firstMessageTime_day`, `properties.source`…).
    pub field: String,
    /// Direction.
    pub direction: Direction,
}

/// A scalar filter value.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    /// A string.
    String(String),
    /// A number, kept exactly as written.
    Number(Number),
    /// A boolean.
    Bool(bool),
}

impl Scalar {
    /// The scalar as a JSON value.
    pub fn to_json(&self) -> Value {
        match self {
            Scalar::String(s) => Value::String(s.clone()),
            Scalar::Number(n) => Value::Number(n.clone()),
            Scalar::Bool(b) => Value::Bool(*b),
        }
    }

    /// Reads a JSON scalar; `None` for null, arrays and objects.
    pub fn from_json(value: &Value) -> Option<Scalar> {
        match value {
            Value::String(s) => Some(Scalar::String(s.clone())),
            Value::Number(n) => Some(Scalar::Number(n.clone())),
            Value::Bool(b) => Some(Scalar::Bool(*b)),
            Value::Null | Value::Array(_) | Value::Object(_) => None,
        }
    }
}

impl fmt::Display for Scalar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scalar::String(s) => f.write_str(s),
            Scalar::Number(n) => write!(f, "{n}"),
            Scalar::Bool(b) => write!(f, "{b}"),
        }
    }
}

impl From<&str> for Scalar {
    fn from(s: &str) -> Scalar {
        Scalar::String(s.to_string())
    }
}

impl From<i64> for Scalar {
    fn from(n: i64) -> Scalar {
        Scalar::Number(n.into())
    }
}

impl From<bool> for Scalar {
    fn from(b: bool) -> Scalar {
        Scalar::Bool(b)
    }
}

/// What the value at a JSON path is compared with.
#[derive(Debug, Clone, PartialEq)]
pub enum PathTarget {
    /// A scalar.
    Scalar(Scalar),
    /// A list of scalars.
    List(Vec<Scalar>),
    /// JSON null.
    Null,
}

/// Every value form a condition can carry.
#[derive(Debug, Clone, PartialEq)]
pub enum FilterValue {
    /// A string, number or boolean.
    Scalar(Scalar),
    /// A list of scalars (`in`, `notIn`, `jsonHasAnyKey`, `jsonHasAllKeys`).
    List(Vec<Scalar>),
    /// A JSON object (`jsonContains`, `jsonContainedBy`, `jsonArrayContainsObject`).
    Json(Map<String, Value>),
    /// `{path, value}`: compare the value at `path` inside a JSON field.
    Path {
        /// Keys from the root of the JSON field.
        path: Vec<String>,
        /// What the value there is compared with.
        value: PathTarget,
    },
    /// `"value": null`, kept apart from an absent `value` so that it round-trips. The
    /// published schema allows any JSON here; the validator says which operators refuse it.
    Null,
}

impl FilterValue {
    /// The value as the JSON the API documents.
    pub fn to_json(&self) -> Value {
        match self {
            FilterValue::Scalar(s) => s.to_json(),
            FilterValue::List(items) => Value::Array(items.iter().map(Scalar::to_json).collect()),
            FilterValue::Json(map) => Value::Object(map.clone()),
            FilterValue::Null => Value::Null,
            FilterValue::Path { path, value } => {
                let target = match value {
                    PathTarget::Scalar(s) => s.to_json(),
                    PathTarget::List(items) => Value::Array(items.iter().map(Scalar::to_json).collect()),
                    PathTarget::Null => Value::Null,
                };
                let mut map = Map::new();
                map.insert(
                    "path".to_string(),
                    Value::Array(path.iter().cloned().map(Value::String).collect()),
                );
                map.insert("value".to_string(), target);
                Value::Object(map)
            }
        }
    }

    /// Classifies a JSON value into one of the documented forms, or says why it fits none.
    /// JSON null is [`FilterValue::Null`] (whether null suits the operator is the
    /// validator's call, not the parser's).
    ///
    /// An object whose keys are exactly `path` (an array of strings) and `value`
    /// (scalar, scalar list or null) is the `{path, value}` pair; any other object is
    /// a JSON document for the containment operators.
    pub fn from_json(value: &Value) -> Result<FilterValue, String> {
        match value {
            Value::Null => Ok(FilterValue::Null),
            Value::String(_) | Value::Number(_) | Value::Bool(_) => Scalar::from_json(value)
                .map(FilterValue::Scalar)
                .ok_or_else(|| "expected a scalar".to_string()),
            Value::Array(items) => scalar_list(items).map(FilterValue::List),
            Value::Object(map) => {
                let is_pair = map.len() == 2 && map.contains_key("path") && map.contains_key("value");
                if !is_pair {
                    return Ok(FilterValue::Json(map.clone()));
                }
                let path = match map.get("path") {
                    Some(Value::Array(keys)) => keys
                        .iter()
                        .map(|k| k.as_str().map(str::to_string))
                        .collect::<Option<Vec<String>>>()
                        .ok_or_else(|| "`path` must be an array of strings".to_string())?,
                    _ => return Err("`path` must be an array of strings".to_string()),
                };
                let target = match map.get("value") {
                    None | Some(Value::Null) => PathTarget::Null,
                    Some(Value::Array(items)) => PathTarget::List(scalar_list(items)?),
                    Some(Value::Object(_)) => {
                        // A nested object under `value` is a JSON document, not a pair.
                        return Ok(FilterValue::Json(map.clone()));
                    }
                    Some(other) => PathTarget::Scalar(
                        Scalar::from_json(other).ok_or_else(|| "expected a scalar".to_string())?,
                    ),
                };
                Ok(FilterValue::Path { path, value: target })
            }
        }
    }
}

fn scalar_list(items: &[Value]) -> Result<Vec<Scalar>, String> {
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            Scalar::from_json(item)
                .ok_or_else(|| format!("list item [{i}] must be a string, number or boolean"))
        })
        .collect()
}

impl Serialize for FilterValue {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for FilterValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        FilterValue::from_json(&value).map_err(de::Error::custom)
    }
}

// ---------------------------------------------------------------------------------------------
// Deserialisation that keeps error paths precise
// ---------------------------------------------------------------------------------------------

/// Implements `Serialize` and `Deserialize` for a struct whose derives are `remote = "Self"`
/// (which turns them into inherent functions). Deserialising accepts a JSON object only:
/// serde's derived struct impls also take a positional array (`[]` as an empty query,
/// `["type","asc"]` as an order-by), which the API does not document. The map is handed on
/// unchanged, so `serde_path_to_error` still tracks every key.
macro_rules! object_only {
    ($ty:ident, $expecting:literal) => {
        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                // The inherent function generated by the derive.
                $ty::serialize(self, serializer)
            }
        }

        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct ObjectVisitor;
                impl<'de> de::Visitor<'de> for ObjectVisitor {
                    type Value = $ty;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str($expecting)
                    }
                    fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<$ty, A::Error> {
                        $ty::deserialize(de::value::MapAccessDeserializer::new(map))
                    }
                }
                deserializer.deserialize_map(ObjectVisitor)
            }
        }
    };
}

object_only!(QueryBody, "a query object");
object_only!(GroupBy, "a group-by object {field, path?, includeInSelect?}");
object_only!(Condition, "a condition object {field, operator, value?}");
object_only!(OrderBy, "an order-by object {field, direction}");

/// The `type` tag of a selection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
enum SelectionType {
    Field,
    Aggregation,
    Time,
}

impl SelectionType {
    /// The keys a selection of this type may have.
    fn keys(self) -> &'static [&'static str] {
        match self {
            SelectionType::Field => &["type", "field", "path", "mode"],
            SelectionType::Aggregation => &["type", "aggregation", "field", "path"],
            SelectionType::Time => &["type", "timeUnit", "field"],
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            SelectionType::Field => "field",
            SelectionType::Aggregation => "aggregation",
            SelectionType::Time => "time",
        }
    }
}

/// Every key any selection may have.
const SELECTION_KEYS: &[&str] = &["type", "field", "path", "mode", "aggregation", "timeUnit"];

/// Reads one key of a selection object. Unknown and repeated keys, and keys that do not belong
/// to the selection's `type` when that is already known, fail here, while the key is being
/// read, so that `serde_path_to_error` names the key (`select[1].extra`).
struct SelectionKeySeed<'a> {
    kind: Option<SelectionType>,
    seen: &'a [&'static str],
}

impl<'de> de::DeserializeSeed<'de> for SelectionKeySeed<'_> {
    type Value = &'static str;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<&'static str, D::Error> {
        let name = String::deserialize(deserializer)?;
        let Some(key) = SELECTION_KEYS.iter().copied().find(|key| *key == name) else {
            let expected = self.kind.map_or(SELECTION_KEYS, SelectionType::keys);
            return Err(de::Error::unknown_field(&name, expected));
        };
        if self.seen.contains(&key) {
            return Err(de::Error::custom(format_args!("duplicate field `{key}`")));
        }
        if let Some(kind) = self.kind
            && !kind.keys().contains(&key)
        {
            return Err(foreign_selection_key(key, kind));
        }
        Ok(key)
    }
}

fn foreign_selection_key<E: de::Error>(key: &str, kind: SelectionType) -> E {
    E::custom(format_args!(
        "`{key}` does not belong in a selection of type `{}`; expected one of {}",
        kind.as_str(),
        kind.keys().iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ")
    ))
}

/// Reads a [`Selection`] key by key, each value straight into its type, so an error inside a
/// selection keeps its full path (`select[1].aggregation`). Every key has the same type in
/// every selection shape, so nothing has to be buffered until `type` is known.
struct SelectionVisitor;

impl<'de> de::Visitor<'de> for SelectionVisitor {
    type Value = Selection;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a selection object with `type` \"field\", \"aggregation\" or \"time\"")
    }

    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Selection, A::Error> {
        let mut kind: Option<SelectionType> = None;
        let mut field: Option<Field> = None;
        let mut path: Option<Vec<String>> = None;
        let mut mode: Option<FieldMode> = None;
        let mut aggregation: Option<Aggregation> = None;
        let mut time_unit: Option<TimeUnit> = None;
        let mut seen: Vec<&'static str> = Vec::with_capacity(4);
        while let Some(key) = map.next_key_seed(SelectionKeySeed { kind, seen: &seen })? {
            seen.push(key);
            match key {
                "type" => kind = Some(map.next_value()?),
                "field" => field = map.next_value()?,
                "path" => path = map.next_value()?,
                "mode" => mode = map.next_value()?,
                "aggregation" => aggregation = Some(map.next_value()?),
                "timeUnit" => time_unit = Some(map.next_value()?),
                // The key seed only returns the keys above.
                other => return Err(de::Error::unknown_field(other, SELECTION_KEYS)),
            }
        }
        let kind = kind.ok_or_else(|| de::Error::missing_field("type"))?;
        // Keys read before `type` could not be checked against it.
        if let Some(key) = seen.iter().find(|key| !kind.keys().contains(key)) {
            return Err(foreign_selection_key(key, kind));
        }
        Ok(match kind {
            SelectionType::Field => Selection::Field {
                field: field.ok_or_else(|| de::Error::missing_field("field"))?,
                path,
                mode,
            },
            SelectionType::Aggregation => Selection::Aggregation {
                aggregation: aggregation.ok_or_else(|| de::Error::missing_field("aggregation"))?,
                field,
                path,
            },
            SelectionType::Time => Selection::Time {
                time_unit: time_unit.ok_or_else(|| de::Error::missing_field("timeUnit"))?,
                field,
            },
        })
    }
}

impl<'de> Deserialize<'de> for Selection {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(SelectionVisitor)
    }
}

/// The keys of a filter object.
const FILTER_KEYS: &[&str] = &["condition", "and", "or"];

/// Reads the key of a filter object; `existing` is the key already read, if any (a filter
/// has exactly one), so a second key fails with the path naming it (`where.and`).
struct FilterKeySeed {
    existing: Option<&'static str>,
}

impl<'de> de::DeserializeSeed<'de> for FilterKeySeed {
    type Value = &'static str;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<&'static str, D::Error> {
        let name = String::deserialize(deserializer)?;
        let Some(key) = FILTER_KEYS.iter().copied().find(|key| *key == name) else {
            return Err(de::Error::unknown_field(&name, FILTER_KEYS));
        };
        match self.existing {
            None => Ok(key),
            Some(existing) => Err(two_filter_keys(existing, key)),
        }
    }
}

fn two_filter_keys<E: de::Error>(existing: &str, key: &str) -> E {
    E::custom(format_args!(
        "a filter has exactly one of `condition`, `and` or `or`, but this one has both `{existing}` and `{key}`"
    ))
}

/// Reads a [`Filter`]: an object with exactly one of `condition`, `and`, `or`.
struct FilterVisitor;

impl<'de> de::Visitor<'de> for FilterVisitor {
    type Value = Filter;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a filter object with one of `condition`, `and` or `or`")
    }

    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Filter, A::Error> {
        let Some(key) = map.next_key_seed(FilterKeySeed { existing: None })? else {
            return Err(de::Error::custom(
                "a filter needs one of `condition`, `and` or `or`, but this one is empty",
            ));
        };
        let filter = match key {
            "condition" => Filter::Condition(map.next_value()?),
            "and" => Filter::And(map.next_value()?),
            "or" => Filter::Or(map.next_value()?),
            other => return Err(de::Error::unknown_field(other, FILTER_KEYS)),
        };
        // The seed refuses any second key; this only guards against a seed that did not.
        if let Some(second) = map.next_key_seed(FilterKeySeed { existing: Some(key) })? {
            return Err(two_filter_keys(key, second));
        }
        Ok(filter)
    }
}

impl<'de> Deserialize<'de> for Filter {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(FilterVisitor)
    }
}

/// Why a body could not be read as a [`QueryBody`].
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}{}", location(path, *line, *column))]
pub struct ParseError {
    /// Where in the document: `where.and[2].condition.operator`; empty at the root.
    pub path: String,
    /// What was wrong.
    pub message: String,
    /// 1-based line of the error in the text, when known.
    pub line: usize,
    /// 1-based column of the error in the text, when known.
    pub column: usize,
}

fn location(path: &str, line: usize, column: usize) -> String {
    let mut out = String::new();
    if !path.is_empty() && path != "." {
        out.push_str(&format!(" at `{path}`"));
    }
    if line > 0 {
        out.push_str(&format!(" (line {line}, column {column})"));
    }
    out
}

/// Parses a query body from JSON text, reporting the path, line and column of the first problem.
pub fn parse_query(text: &str) -> Result<QueryBody, ParseError> {
    let mut de = serde_json::Deserializer::from_str(text);
    let result: Result<QueryBody, _> = serde_path_to_error::deserialize(&mut de);
    match result {
        Ok(body) => match de.end() {
            Ok(()) => Ok(body),
            Err(err) => Err(ParseError {
                path: String::new(),
                message: "trailing characters after the JSON document".to_string(),
                line: err.line(),
                column: err.column(),
            }),
        },
        Err(err) => {
            let path = err.path().to_string();
            let inner = err.into_inner();
            Err(ParseError {
                path: if path == "." { String::new() } else { path },
                message: strip_serde_position(&inner.to_string()),
                line: inner.line(),
                column: inner.column(),
            })
        }
    }
}

/// Reads a query body from an already-parsed JSON value (no line/column information).
pub fn query_from_value(value: &Value) -> Result<QueryBody, ParseError> {
    let result: Result<QueryBody, _> = serde_path_to_error::deserialize(value);
    result.map_err(|err| {
        let path = err.path().to_string();
        ParseError {
            path: if path == "." { String::new() } else { path },
            message: strip_serde_position(&err.into_inner().to_string()),
            line: 0,
            column: 0,
        }
    })
}

/// serde_json appends " at line L column C" to its messages; we report those separately.
fn strip_serde_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(idx) => message[..idx].to_string(),
        None => message.to_string(),
    }
}

impl QueryBody {
    /// The body as pretty-printed JSON, as the request inspector shows it.
    pub fn to_pretty_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|_| "{}".to_string())
    }

    /// True when any selection is an aggregation or the query groups: rows are then groups.
    pub fn is_grouped(&self) -> bool {
        !self.group_by.is_empty() || self.select.iter().any(Selection::is_aggregation)
    }
}

impl Filter {
    /// A condition leaf.
    pub fn condition(field: Field, operator: Operator, value: Option<FilterValue>) -> Filter {
        Filter::Condition(Condition { field, operator, value })
    }

    /// Number of conditions in the tree.
    pub fn condition_count(&self) -> usize {
        match self {
            Filter::Condition(_) => 1,
            Filter::And(items) | Filter::Or(items) => items.iter().map(Filter::condition_count).sum(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn error_paths_name_the_offending_part() {
        let text = r#"{"where":{"and":[{"condition":{"field":"type","operator":"eq","value":"openai"}},{"condition":{"field":"type","operator":"eq","value":"x"}},{"condition":{"field":"type","operator":"bogus","value":1}}]}}"#;
        let err = parse_query(text).unwrap_err();
        assert_eq!(err.path, "where.and[2].condition.operator");
        assert!(err.message.contains("bogus"), "{}", err.message);
        assert_eq!(err.line, 1);
    }

    #[test]
    fn pair_and_object_values_are_told_apart() {
        let pair = FilterValue::from_json(&json!({"path":["source"],"value":"slack"})).unwrap();
        assert_eq!(
            pair,
            FilterValue::Path { path: vec!["source".into()], value: PathTarget::Scalar("slack".into()) }
        );
        let obj = FilterValue::from_json(&json!({"source":"slack"})).unwrap();
        assert!(matches!(obj, FilterValue::Json(_)));
        assert!(FilterValue::from_json(&json!([1, [2]])).is_err());
    }

    #[test]
    fn an_absent_value_and_a_null_value_are_told_apart_and_written_back() {
        for text in [
            r#"{"where":{"condition":{"field":"type","operator":"eq","value":null}}}"#,
            r#"{"where":{"condition":{"field":"type","operator":"isNull"}}}"#,
            r#"{"where":{"condition":{"field":"type","operator":"isNull","value":null}}}"#,
        ] {
            let body = parse_query(text).unwrap();
            let Some(Filter::Condition(condition)) = &body.filter else { panic!("{text}") };
            assert_eq!(condition.value.is_some(), text.contains("\"value\""), "{text}");
            assert_eq!(serde_json::to_string(&body).unwrap(), text);
            assert_eq!(query_from_value(&serde_json::from_str(text).unwrap()).unwrap(), body);
        }
    }
}
