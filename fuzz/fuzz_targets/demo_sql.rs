//! The demo API's query compiler and store: a body that `validate` accepts must run.
//!
//! Input: either JSON text (when it starts with `{`: read with `parse_query`, so the seed
//! bodies and libFuzzer's byte mutations of them work), or otherwise raw bytes that drive a
//! structured generator of query bodies (biased towards the shapes and keys the dataset
//! has, with a share of arbitrary combinations). Checks, against a store of a few hundred
//! generated conversations:
//! - compiling any body (valid or not) never panics;
//! - a body that `validate` accepts compiles, and runs without any error, both as a page
//!   (`DemoStore::query`) and as a CSV export (`DemoStore::export_csv`);
//! - the page holds `min(total, page size)` rows and the export exactly `total`;
//! - every row of the page, and the export's header, name exactly the result columns
//!   `api::columns::result_columns` predicts, in its order (an unpacked JSON field
//!   contributing `field.key` columns);
//! - the page and the export read back into result tables without panicking.

#![no_main]

use std::sync::OnceLock;

use arbitrary::{Result, Unstructured};
use inkeep_explorer::api::columns::{is_published_order_by_field, result_columns};
use inkeep_explorer::api::query::{
    Aggregation, Condition, Direction, Field, FieldMode, Filter, FilterValue, GroupBy, Operator, OrderBy,
    PathTarget, QueryBody, Scalar, Selection, TimeUnit, parse_query,
};
use inkeep_explorer::api::validate::validate;
use inkeep_explorer::data::ResultTable;
use inkeep_explorer::demo::dataset::DatasetParams;
use inkeep_explorer::demo::sql::{compile_count, compile_query};
use inkeep_explorer::demo::store::DemoStore;
use jiff::civil::Date;
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Number, Value};

/// Conversations in the store: enough for every type, null and JSON shape to occur.
const ROWS: u64 = 400;
/// Rows in one page, small so that truncated pages are common.
const PAGE_SIZE: usize = 50;

fn store() -> &'static DemoStore {
    static STORE: OnceLock<DemoStore> = OnceLock::new();
    STORE.get_or_init(|| {
        let end_date = Date::constant(2025, 6, 30);
        let params = DatasetParams { rows: ROWS, seed: 11, end_date };
        DemoStore::open(&params, None).unwrap_or_else(|e| panic!("the demo store does not open: {e}"))
    })
}

fuzz_target!(|data: &[u8]| {
    let body = if data.first() == Some(&b'{') {
        let Ok(text) = std::str::from_utf8(data) else { return };
        match parse_query(text) {
            Ok(body) => body,
            Err(_) => return,
        }
    } else {
        match query(&mut Unstructured::new(data)) {
            Ok(body) => body,
            Err(_) => return,
        }
    };
    check(&body);
});

fn check(body: &QueryBody) {
    let compiled = compile_query(body);
    let counted = compile_count(body);
    let valid = validate(body).is_empty();
    if std::env::var_os("INKEEP_FUZZ_STATS").is_some() {
        // For judging the generator: how many inputs reach SQLite (see README.md).
        eprintln!(
            "fuzz-stats valid={valid} grouped={} filtered={}",
            body.is_grouped(),
            body.filter.is_some()
        );
    }
    if !valid {
        // The server refuses it before compiling; compiling it anyway must just not panic.
        return;
    }
    let json = serde_json::to_string(body).unwrap_or_default();
    if let Err(e) = compiled {
        panic!("a valid body does not compile: {e}\nbody: {json}");
    }
    if let Err(e) = counted {
        panic!("a valid body does not compile as a count: {e}\nbody: {json}");
    }
    let store = store();
    let page = match store.query(body, PAGE_SIZE) {
        Ok(page) => page,
        Err(e) => panic!("a valid body fails to run: {e}\nbody: {json}"),
    };
    let expected_rows = usize::try_from(page.total).unwrap_or(usize::MAX).min(PAGE_SIZE);
    assert_eq!(page.rows.len(), expected_rows, "page rows vs total {}\nbody: {json}", page.total);
    let columns = result_columns(body);
    let plain: Vec<&str> = columns.iter().filter(|c| !c.is_unpacked()).map(|c| c.name.as_str()).collect();
    let prefixes: Vec<String> =
        columns.iter().filter(|c| c.is_unpacked()).map(|c| format!("{}.", c.name)).collect();
    let expected = |key: &str| plain.contains(&key) || prefixes.iter().any(|p| key.starts_with(p.as_str()));
    for row in &page.rows {
        let named: Vec<&str> = row.keys().map(String::as_str).filter(|k| plain.contains(k)).collect();
        assert_eq!(named, plain, "a row lacks result columns or has them out of order\nbody: {json}");
        let stray: Vec<&String> = row.keys().filter(|k| !expected(k)).collect();
        assert!(stray.is_empty(), "a row has keys the query does not produce: {stray:?}\nbody: {json}");
    }
    let _ = ResultTable::from_rows(body, &page.rows);

    let mut csv = Vec::new();
    let exported = store.export_csv(body, &mut |chunk| {
        csv.extend_from_slice(chunk);
        Ok(())
    });
    match exported {
        Ok(row_count) => assert_eq!(row_count, page.total, "export rows vs total\nbody: {json}"),
        Err(e) => panic!("a valid body fails to export: {e}\nbody: {json}"),
    }
    let header = csv::Reader::from_reader(csv.as_slice()).headers().cloned();
    let header = header.unwrap_or_else(|e| panic!("the export has no header: {e}\nbody: {json}"));
    let named: Vec<&str> = header.iter().filter(|k| plain.contains(k)).collect();
    assert_eq!(named, plain, "the export header lacks result columns or has them out of order\nbody: {json}");
    let stray: Vec<&str> = header.iter().filter(|k| !expected(k)).collect();
    assert!(
        stray.is_empty(),
        "the export header has columns the query does not produce: {stray:?}\nbody: {json}"
    );
    let table = ResultTable::from_csv_reader(body, csv.as_slice(), |_| true);
    assert!(table.is_ok(), "the export does not read back: {:?}\nbody: {json}", table.err());
}

// ---------------------------------------------------------------------------------------
// The generator. Mostly sensible shapes (so that many bodies validate and reach SQLite),
// sometimes anything (so that validation's edges are reached too).

const KEYS: [&str; 15] = [
    "source",
    "language",
    "tags",
    "resolved",
    "csat",
    "browser",
    "name",
    "version",
    "articles",
    "title",
    "userId",
    "userType",
    "identificationType",
    "supportAgentName",
    "id",
];

const TEXTS: [&str; 20] = [
    "openai",
    "support_ticket",
    "support_copilot",
    "slack",
    "widget",
    "en",
    "de",
    "true",
    "Chrome",
    "org_northwind",
    "2025-03-01",
    "2025-06-30T12:00:00Z",
    "2025-01-01T00:00:00+05:30",
    "2025-06-30T23:59:59.999Z",
    "",
    "%",
    "_",
    "' OR 1=1 --",
    "\u{0}",
    "$.a[0]",
];

fn sometimes(u: &mut Unstructured<'_>) -> Result<bool> {
    u.ratio(1u8, 5u8)
}

fn field(u: &mut Unstructured<'_>) -> Result<Field> {
    u.choose(&Field::ALL).copied()
}

fn json_field(u: &mut Unstructured<'_>) -> Result<Field> {
    u.choose(&[Field::Properties, Field::UserProperties]).copied()
}

fn plain_field(u: &mut Unstructured<'_>) -> Result<Field> {
    let plain: Vec<Field> = Field::ALL.into_iter().filter(|f| !f.is_json()).collect();
    u.choose(&plain).copied()
}

fn key(u: &mut Unstructured<'_>) -> Result<String> {
    if sometimes(u)? {
        let text: String = u.arbitrary()?;
        Ok(text.chars().take(12).collect())
    } else {
        Ok(u.choose(&KEYS)?.to_string())
    }
}

fn path(u: &mut Unstructured<'_>) -> Result<Vec<String>> {
    let len = u.int_in_range(1..=3)?;
    (0..len).map(|_| key(u)).collect()
}

fn text(u: &mut Unstructured<'_>) -> Result<String> {
    if sometimes(u)? {
        let text: String = u.arbitrary()?;
        Ok(text.chars().take(24).collect())
    } else {
        Ok(u.choose(&TEXTS)?.to_string())
    }
}

fn number(u: &mut Unstructured<'_>) -> Result<Number> {
    Ok(match u.int_in_range(0..=4)? {
        0 => Number::from(u.int_in_range(-5i64..=50)?),
        1 => Number::from(u.arbitrary::<i64>()?),
        2 => Number::from(u.arbitrary::<u64>()?),
        3 => Number::from_f64(u.arbitrary::<f64>()?).unwrap_or_else(|| Number::from(0)),
        _ => Number::from_f64(f64::from(u.int_in_range(-100i32..=100)?) / 8.0)
            .unwrap_or_else(|| Number::from(1)),
    })
}

fn scalar(u: &mut Unstructured<'_>) -> Result<Scalar> {
    Ok(match u.int_in_range(0..=2)? {
        0 => Scalar::String(text(u)?),
        1 => Scalar::Number(number(u)?),
        _ => Scalar::Bool(u.arbitrary()?),
    })
}

fn scalars(u: &mut Unstructured<'_>, min: usize) -> Result<Vec<Scalar>> {
    let len = u.int_in_range(min..=4)?;
    (0..len).map(|_| scalar(u)).collect()
}

fn json_value(u: &mut Unstructured<'_>, depth: u32) -> Result<Value> {
    let choice = if depth == 0 { u.int_in_range(0..=1)? } else { u.int_in_range(0..=3)? };
    Ok(match choice {
        0 => scalar(u)?.to_json(),
        1 => Value::Null,
        2 => {
            let len = u.int_in_range(0..=3)?;
            Value::Array((0..len).map(|_| json_value(u, depth - 1)).collect::<Result<_>>()?)
        }
        _ => Value::Object(json_object(u, depth - 1)?),
    })
}

fn json_object(u: &mut Unstructured<'_>, depth: u32) -> Result<Map<String, Value>> {
    let len = u.int_in_range(0..=3)?;
    let mut object = Map::new();
    for _ in 0..len {
        object.insert(key(u)?, json_value(u, depth)?);
    }
    Ok(object)
}

fn path_target(u: &mut Unstructured<'_>) -> Result<PathTarget> {
    Ok(match u.int_in_range(0..=4)? {
        0..=2 => PathTarget::Scalar(scalar(u)?),
        3 => PathTarget::List(scalars(u, 0)?),
        _ => PathTarget::Null,
    })
}

fn filter_value(u: &mut Unstructured<'_>) -> Result<FilterValue> {
    Ok(match u.int_in_range(0..=3)? {
        0 => FilterValue::Scalar(scalar(u)?),
        1 => FilterValue::List(scalars(u, 0)?),
        2 => FilterValue::Json(json_object(u, 2)?),
        _ => FilterValue::Path { path: path(u)?, value: path_target(u)? },
    })
}

fn comparison(u: &mut Unstructured<'_>) -> Result<Operator> {
    u.choose(&[Operator::Eq, Operator::Neq, Operator::Gt, Operator::Gte, Operator::Lt, Operator::Lte])
        .copied()
}

fn condition(field: Field, operator: Operator, value: Option<FilterValue>) -> Filter {
    Filter::Condition(Condition { field, operator, value })
}

fn sensible_condition(u: &mut Unstructured<'_>) -> Result<Filter> {
    let types = ["openai", "support_ticket", "support_copilot"];
    let dates =
        ["2025-01-02", "2025-03-15T08:00:00Z", "2025-06-30T23:59:59.999Z", "2025-05-01T00:00:00+02:00"];
    Ok(match u.int_in_range(0..=11)? {
        0 => {
            let value = Scalar::from(u.int_in_range(0i64..=45)?);
            condition(Field::UserMessageCount, comparison(u)?, Some(FilterValue::Scalar(value)))
        }
        1 => {
            let value = Scalar::from(*u.choose(&types)?);
            condition(Field::Type, comparison(u)?, Some(FilterValue::Scalar(value)))
        }
        2 => {
            let value = Scalar::from(*u.choose(&dates)?);
            condition(Field::FirstMessageTime, comparison(u)?, Some(FilterValue::Scalar(value)))
        }
        3 => {
            let operator = *u.choose(&[Operator::In, Operator::NotIn])?;
            let len = u.int_in_range(1..=3)?;
            let values = (0..len).map(|_| Ok(Scalar::from(*u.choose(&types)?))).collect::<Result<_>>()?;
            condition(Field::Type, operator, Some(FilterValue::List(values)))
        }
        4 => condition(field(u)?, *u.choose(&[Operator::IsNull, Operator::IsNotNull])?, None),
        5 => {
            let (field, operator) = (json_field(u)?, comparison(u)?);
            let value = FilterValue::Path { path: path(u)?, value: PathTarget::Scalar(scalar(u)?) };
            condition(field, operator, Some(value))
        }
        6 => {
            let (field, operator) = (json_field(u)?, *u.choose(&[Operator::In, Operator::NotIn])?);
            let value = FilterValue::Path { path: path(u)?, value: PathTarget::List(scalars(u, 1)?) };
            condition(field, operator, Some(value))
        }
        7 => {
            let value = FilterValue::Scalar(Scalar::String(key(u)?));
            condition(json_field(u)?, Operator::JsonHasKey, Some(value))
        }
        8 => {
            let operator = *u.choose(&[Operator::JsonHasAnyKey, Operator::JsonHasAllKeys])?;
            let len = u.int_in_range(1..=3)?;
            let keys = (0..len).map(|_| Ok(Scalar::String(key(u)?))).collect::<Result<_>>()?;
            condition(json_field(u)?, operator, Some(FilterValue::List(keys)))
        }
        9 => {
            let operator = *u.choose(&[Operator::JsonContains, Operator::JsonContainedBy])?;
            let value = if u.arbitrary()? {
                FilterValue::Json(json_object(u, 2)?)
            } else {
                FilterValue::Path { path: path(u)?, value: path_target(u)? }
            };
            condition(json_field(u)?, operator, Some(value))
        }
        10 => {
            let value = FilterValue::Path { path: path(u)?, value: PathTarget::Scalar(scalar(u)?) };
            condition(json_field(u)?, Operator::ArrayContains, Some(value))
        }
        _ => {
            let value = FilterValue::Json(json_object(u, 2)?);
            condition(json_field(u)?, Operator::JsonArrayContainsObject, Some(value))
        }
    })
}

fn arbitrary_condition(u: &mut Unstructured<'_>) -> Result<Filter> {
    let (field, operator) = (field(u)?, *u.choose(&Operator::ALL)?);
    let value = if u.arbitrary()? { Some(filter_value(u)?) } else { None };
    Ok(condition(field, operator, value))
}

fn filter(u: &mut Unstructured<'_>, depth: u32) -> Result<Filter> {
    if depth == 0 || u.ratio(3u8, 5u8)? {
        return if sometimes(u)? { arbitrary_condition(u) } else { sensible_condition(u) };
    }
    let min = usize::from(!u.ratio(1u8, 16u8)?);
    let len = u.int_in_range(min..=4)?;
    let items = (0..len).map(|_| filter(u, depth - 1)).collect::<Result<Vec<_>>>()?;
    Ok(if u.arbitrary()? { Filter::And(items) } else { Filter::Or(items) })
}

fn sensible_selection(u: &mut Unstructured<'_>) -> Result<Selection> {
    Ok(match u.int_in_range(0..=6)? {
        0 => Selection::field(plain_field(u)?),
        1 => {
            let path = if u.arbitrary()? { Some(path(u)?) } else { None };
            Selection::Field { field: json_field(u)?, path, mode: None }
        }
        2 => {
            let mode = *u.choose(&[FieldMode::Unpack, FieldMode::Json])?;
            Selection::Field { field: json_field(u)?, path: None, mode: Some(mode) }
        }
        3 => Selection::count(),
        4 => Selection::aggregate(*u.choose(&Aggregation::ALL)?, plain_field(u)?),
        5 => Selection::Aggregation {
            aggregation: *u.choose(&Aggregation::ALL)?,
            field: Some(json_field(u)?),
            path: Some(path(u)?),
        },
        _ => {
            let field = if u.arbitrary()? { Some(Field::FirstMessageTime) } else { None };
            Selection::Time { time_unit: *u.choose(&TimeUnit::ALL)?, field }
        }
    })
}

fn arbitrary_selection(u: &mut Unstructured<'_>) -> Result<Selection> {
    let optional_path = |u: &mut Unstructured<'_>| -> Result<Option<Vec<String>>> {
        if u.arbitrary()? {
            let len = u.int_in_range(0..=2)?;
            Ok(Some((0..len).map(|_| key(u)).collect::<Result<_>>()?))
        } else {
            Ok(None)
        }
    };
    let optional_field = |u: &mut Unstructured<'_>| -> Result<Option<Field>> {
        if u.arbitrary()? { Ok(Some(field(u)?)) } else { Ok(None) }
    };
    Ok(match u.int_in_range(0..=2)? {
        0 => {
            let mode =
                if u.arbitrary()? { Some(*u.choose(&[FieldMode::Unpack, FieldMode::Json])?) } else { None };
            Selection::Field { field: field(u)?, path: optional_path(u)?, mode }
        }
        1 => Selection::Aggregation {
            aggregation: *u.choose(&Aggregation::ALL)?,
            field: optional_field(u)?,
            path: optional_path(u)?,
        },
        _ => Selection::Time { time_unit: *u.choose(&TimeUnit::ALL)?, field: optional_field(u)? },
    })
}

fn group_by(u: &mut Unstructured<'_>) -> Result<GroupBy> {
    let include_in_select = if u.arbitrary()? { Some(u.arbitrary()?) } else { None };
    Ok(match u.int_in_range(0..=8)? {
        0..=3 => GroupBy { field: plain_field(u)?, path: None, include_in_select },
        4..=7 => GroupBy { field: json_field(u)?, path: Some(path(u)?), include_in_select },
        _ => {
            let path = if u.arbitrary()? { Some(path(u)?) } else { None };
            GroupBy { field: field(u)?, path, include_in_select }
        }
    })
}

fn query(u: &mut Unstructured<'_>) -> Result<QueryBody> {
    let select_len = u.int_in_range(0..=4)?;
    let mut select = Vec::with_capacity(select_len);
    for _ in 0..select_len {
        select.push(if sometimes(u)? { arbitrary_selection(u)? } else { sensible_selection(u)? });
    }
    let group_len = u.int_in_range(0..=3)?;
    let group_by = (0..group_len).map(|_| group_by(u)).collect::<Result<Vec<_>>>()?;
    let filter = if u.arbitrary()? { Some(filter(u, 3)?) } else { None };
    let notes = if u.ratio(1u8, 4u8)? { Some(text(u)?) } else { None };
    let mut body = QueryBody { select, group_by, filter, order_by: Vec::new(), notes };

    // Sort keys drawn mostly from the columns the query produces that the server can sort by.
    let mut produced: Vec<String> = Vec::new();
    for column in result_columns(&body) {
        if column.is_unpacked() {
            // An unpacked JSON field sorts by one of its keys.
            produced.push(format!("{}.{}", column.name, key(u)?));
        } else {
            produced.push(column.name);
        }
    }
    // The server sorts only by the published orderBy set; other names are refused before any
    // SQL runs, so draw valid keys from the set to keep the sorting SQL covered.
    produced.retain(|name| is_published_order_by_field(name));
    let order_len = u.int_in_range(0..=3)?;
    for _ in 0..order_len {
        let field = if produced.is_empty() || sometimes(u)? {
            if u.arbitrary()? {
                key(u)?
            } else {
                u.choose(&["count", "id", "properties.source", "nope"])?.to_string()
            }
        } else {
            u.choose(&produced)?.clone()
        };
        let direction = if u.arbitrary()? { Direction::Asc } else { Direction::Desc };
        body.order_by.push(OrderBy { field, direction });
    }
    Ok(body)
}
