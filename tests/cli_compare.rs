//! `inkeep-explorer run --compare`: the real binary against the embedded demo API. The
//! comparison's numbers must equal two independent plain runs, one of the query and one of
//! the previous period's query written out by hand here, in CSV, JSON and XLSX; the
//! sidecar and the Query sheet record both bodies and both request ids.

// Helpers outside `#[test]` functions panic on purpose too: a panic is how a test fails.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod cli_support;

use std::collections::BTreeMap;
use std::process::Output;

use calamine::{Data, Reader, Xlsx, open_workbook};
use cli_support::{Demo, Sandbox, end_date};
use jiff::ToSpan;
use jiff::civil::Date;
use serde_json::{Value, json};

/// A sandbox whose `run --demo` uses this file's dataset.
fn sandbox() -> Sandbox {
    Sandbox::new(Demo { rows: 3_000, seed: 11, page_size: 1000 })
}

/// Writes `body` into the sandbox and returns its path as an argument.
fn query_arg(sandbox: &Sandbox, name: &str, body: &Value) -> String {
    sandbox.write_query(name, body).to_str().unwrap().to_string()
}

fn success(output: &Output) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(0), "stderr: {stderr}");
    stderr
}

/// Count per day and type, `start` (inclusive) to `end` (exclusive).
fn per_day_by_type(start: Date, end: Date) -> Value {
    json!({
        "select": [
            {"type": "time", "timeUnit": "day", "field": "firstMessageTime"},
            {"type": "aggregation", "aggregation": "count"}
        ],
        "groupBy": [{"field": "type"}],
        "where": {"and": [
            {"condition": {"field": "firstMessageTime", "operator": "gte", "value": format!("{start}T00:00:00Z")}},
            {"condition": {"field": "firstMessageTime", "operator": "lt", "value": format!("{end}T00:00:00Z")}}
        ]}
    })
}

/// The current range: the 14 days ending a week before the data ends; the previous
/// period is the 14 days before it.
fn ranges() -> ((Date, Date), (Date, Date)) {
    let end = end_date().checked_sub(6.days()).unwrap();
    let start = end.checked_sub(14.days()).unwrap();
    let previous_start = start.checked_sub(14.days()).unwrap();
    ((start, end), (previous_start, start))
}

fn parse_csv(text: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::ReaderBuilder::new().from_reader(text.as_bytes());
    let header = reader.headers().unwrap().iter().map(str::to_string).collect();
    let records = reader.records().map(|r| r.unwrap().iter().map(str::to_string).collect()).collect();
    (header, records)
}

fn column(header: &[String], name: &str) -> usize {
    header.iter().position(|h| h == name).unwrap_or_else(|| panic!("no column {name} in {header:?}"))
}

/// (days from the range start, type) → count, from a plain run's CSV.
fn counts_by_offset(csv: &str, start: Date) -> BTreeMap<(i64, String), u64> {
    let (header, records) = parse_csv(csv);
    let (day, kind, count) =
        (column(&header, "firstMessageTime_day"), column(&header, "type"), column(&header, "count"));
    records
        .iter()
        .map(|record| {
            let date: Date = record[day].parse().unwrap();
            let offset = (date - start).get_days() as i64;
            ((offset, record[kind].clone()), record[count].parse().unwrap())
        })
        .collect()
}

/// (days from the range start, type) → (count, previous).
type Joined = BTreeMap<(i64, String), (u64, u64)>;

/// The expected comparison: key → (count, previous), zero where a side has no row; and the
/// two queries run.
fn expected() -> (Joined, (Value, Value)) {
    let sandbox = sandbox();
    let ((start, end), (previous_start, previous_end)) = ranges();
    let current_query = per_day_by_type(start, end);
    let previous_query = per_day_by_type(previous_start, previous_end);
    let current = sandbox.run_demo(&["--query", &query_arg(&sandbox, "now.json", &current_query)]);
    let previous = sandbox.run_demo(&["--query", &query_arg(&sandbox, "then.json", &previous_query)]);
    success(&current);
    success(&previous);
    let current = counts_by_offset(&String::from_utf8(current.stdout).unwrap(), start);
    let previous = counts_by_offset(&String::from_utf8(previous.stdout).unwrap(), previous_start);
    assert!(current.len() > 10 && previous.len() > 10, "the demo data should fill both periods");
    let mut out = BTreeMap::new();
    for key in current.keys().chain(previous.keys()) {
        out.insert(
            key.clone(),
            (current.get(key).copied().unwrap_or(0), previous.get(key).copied().unwrap_or(0)),
        );
    }
    (out, (current_query, previous_query))
}

fn expected_change(count: u64, previous: u64) -> String {
    if count == previous {
        "0".into()
    } else if previous == 0 {
        "new".into()
    } else {
        let percent = ((count as f64 - previous as f64) / previous as f64 * 1000.0).round() / 10.0;
        percent.to_string()
    }
}

#[test]
fn compare_previous_equals_two_independent_runs_in_csv_json_and_xlsx() {
    let (expected, (current_query, previous_query)) = expected();
    let ((start, _), (previous_start, _)) = ranges();
    let sandbox = sandbox();
    let query = query_arg(&sandbox, "q.json", &current_query);

    // CSV, with its sidecar.
    let csv_path = sandbox.path("compare.csv");
    let stderr = success(&sandbox.run_demo(&[
        "--query",
        &query,
        "--compare",
        "previous",
        "--out",
        csv_path.to_str().unwrap(),
    ]));
    let (header, records) = parse_csv(&std::fs::read_to_string(&csv_path).unwrap());
    assert_eq!(
        header,
        ["firstMessageTime_day", "previous firstMessageTime_day", "count", "previous", "change %", "type"]
    );
    let (day, previous_day) =
        (column(&header, "firstMessageTime_day"), column(&header, "previous firstMessageTime_day"));
    let mut seen = BTreeMap::new();
    for record in &records {
        let date: Date = record[day].parse().unwrap();
        let earlier: Date = record[previous_day].parse().unwrap();
        let offset = (date - start).get_days() as i64;
        assert_eq!((earlier - previous_start).get_days() as i64, offset, "aligned on the bucket offset");
        let key = (offset, record[5].clone());
        let (count, previous): (u64, u64) = (record[2].parse().unwrap(), record[3].parse().unwrap());
        assert_eq!(record[4], expected_change(count, previous), "{key:?}");
        seen.insert(key, (count, previous));
    }
    assert_eq!(seen, expected, "every group of either period, once, with both runs' numbers");
    assert_eq!(records.len(), expected.len());

    let total: u64 = expected.values().map(|v| v.0).sum();
    let previous_total: u64 = expected.values().map(|v| v.1).sum();
    let change = {
        let percent =
            ((total as f64 - previous_total as f64) / previous_total as f64 * 1000.0).round() / 10.0;
        if percent > 0.0 { format!("+{percent} %") } else { format!("{percent} %") }
    };
    assert!(stderr.contains(&format!("{change} on the previous period")), "{change}: {stderr}");

    let sidecar: Value =
        serde_json::from_str(&std::fs::read_to_string(sandbox.path("compare.csv.query.json")).unwrap())
            .unwrap();
    let comparison = &sidecar["comparison"];
    assert_eq!(sidecar["query"]["where"], current_query["where"]);
    assert_eq!(comparison["previousQuery"]["where"], previous_query["where"]);
    assert_eq!(comparison["offset"], "previous");
    assert_eq!(comparison["change"], format!("{change} on the previous period"));
    let (current_id, previous_id) =
        (sidecar["requestId"].as_str().unwrap(), comparison["previousRequestId"].as_str().unwrap());
    assert!(!current_id.is_empty() && !previous_id.is_empty() && current_id != previous_id);

    // JSON: the same rows, typed.
    let json_path = sandbox.path("compare.json");
    success(&sandbox.run_demo(&[
        "--query",
        &query,
        "--compare",
        "previous",
        "--out",
        json_path.to_str().unwrap(),
    ]));
    let rows: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(&json_path).unwrap()).unwrap();
    let mut seen_json = BTreeMap::new();
    for row in &rows {
        let date: Date = row["firstMessageTime_day"].as_str().unwrap().parse().unwrap();
        let key = ((date - start).get_days() as i64, row["type"].as_str().unwrap_or_default().to_string());
        let (count, previous) = (row["count"].as_u64().unwrap(), row["previous"].as_u64().unwrap());
        let change = match &row["change %"] {
            Value::String(text) => text.clone(),
            Value::Number(number) => number.as_f64().unwrap().to_string(),
            other => panic!("change % {other}"),
        };
        assert_eq!(change, expected_change(count, previous));
        seen_json.insert(key, (count, previous));
    }
    assert_eq!(seen_json, expected);
    assert!(sandbox.path("compare.json.query.json").exists());

    // XLSX: the same numbers in the same rows as the CSV, and both requests in the Query sheet.
    let xlsx_path = sandbox.path("compare.xlsx");
    success(&sandbox.run_demo(&[
        "--query",
        &query,
        "--compare",
        "previous",
        "--out",
        xlsx_path.to_str().unwrap(),
    ]));
    let mut workbook: Xlsx<_> = open_workbook(&xlsx_path).unwrap();
    let result = workbook.worksheet_range("Result").unwrap();
    let sheet: Vec<Vec<Data>> = result.rows().map(<[Data]>::to_vec).collect();
    assert_eq!(sheet[0][2], Data::String("count".into()));
    assert_eq!(sheet[0][3], Data::String("previous".into()));
    assert_eq!(sheet[0][4], Data::String("change %".into()));
    let mut seen_xlsx = BTreeMap::new();
    for (row, record) in sheet[1..].iter().zip(&records) {
        let number = |cell: &Data| match cell {
            Data::Float(value) => *value as u64,
            Data::Int(value) => *value as u64,
            other => panic!("not a number: {other:?}"),
        };
        let kind = match &row[5] {
            Data::String(text) => text.clone(),
            Data::Empty => String::new(),
            other => panic!("type {other:?}"),
        };
        assert_eq!(kind, record[5]);
        let date: Date = record[0].parse().unwrap();
        seen_xlsx.insert(((date - start).get_days() as i64, kind), (number(&row[2]), number(&row[3])));
    }
    assert_eq!(sheet.len() - 1, records.len());
    assert_eq!(seen_xlsx, expected);
    let query_sheet = workbook.worksheet_range("Query").unwrap();
    let labels: BTreeMap<String, String> = query_sheet
        .rows()
        .filter_map(|row| match (row.first(), row.get(1)) {
            (Some(Data::String(label)), Some(value)) => Some((label.clone(), value.to_string())),
            _ => None,
        })
        .collect();
    assert_eq!(labels["Compared with"], "previous period");
    assert!(!labels["Request ID"].is_empty() && labels["Request ID"] != "(none)");
    assert!(
        !labels["Previous request ID"].is_empty() && labels["Previous request ID"] != labels["Request ID"]
    );
    assert_eq!(labels["Change"], format!("{change} on the previous period"));
    let all_text: String =
        query_sheet.rows().flat_map(|row| row.iter().map(|c| c.to_string()).collect::<Vec<_>>()).collect();
    let previous_bound = previous_query["where"]["and"][0]["condition"]["value"].as_str().unwrap();
    assert!(all_text.contains(previous_bound), "the previous body is in the Query sheet");
}

#[test]
fn compare_on_an_unbounded_query_exits_2_saying_what_it_needs() {
    let sandbox = sandbox();
    let query =
        query_arg(&sandbox, "q.json", &json!({"select": [{"type": "aggregation", "aggregation": "count"}]}));
    let output = sandbox.run_demo(&["--query", &query, "--compare", "week"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("Compare needs a time range with both a start and an end on firstMessageTime"),
        "{stderr}"
    );
    assert!(output.stdout.is_empty());
    let output = sandbox.run_demo(&["--query", &query, "--compare", "fortnight"]);
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn a_builtin_preset_with_a_lone_relative_start_compares_as_written() {
    let sandbox = sandbox();
    let out = sandbox.path("trend.csv");
    let preset = "Conversations per day by type (last 30 days)";
    let stderr = success(&sandbox.run_demo(&[
        "--preset",
        preset,
        "--compare",
        "previous",
        "--out",
        out.to_str().unwrap(),
    ]));
    let (header, records) = parse_csv(&std::fs::read_to_string(&out).unwrap());
    let (count, previous) = (column(&header, "count"), column(&header, "previous"));
    let total: u64 = records.iter().map(|r| r[count].parse::<u64>().unwrap()).sum();
    let previous_total: u64 = records.iter().map(|r| r[previous].parse::<u64>().unwrap()).sum();
    assert!(total > 0 && previous_total > 0, "both 30-day periods hold conversations");
    assert!(stderr.contains("on the previous period (count "), "{stderr}");
    assert!(stderr.contains(&format!("previous {previous_total})")) || previous_total >= 1000, "{stderr}");
    let sidecar: Value =
        serde_json::from_str(&std::fs::read_to_string(sandbox.path("trend.csv.query.json")).unwrap())
            .unwrap();
    // Both bodies carry both bounds, 30 days long each, the previous ending where this one starts.
    let bounds = |query: &Value| -> Vec<jiff::Timestamp> {
        query["where"]["and"]
            .as_array()
            .unwrap()
            .iter()
            .map(|item| item["condition"]["value"].as_str().unwrap().parse().unwrap())
            .collect()
    };
    let now = bounds(&sidecar["query"]);
    let before = bounds(&sidecar["comparison"]["previousQuery"]);
    assert_eq!(now.len(), 2);
    assert_eq!(before[1], now[0]);
    assert_eq!(now[1].duration_since(now[0]), jiff::SignedDuration::from_hours(30 * 24));
    assert_eq!(before[1].duration_since(before[0]), jiff::SignedDuration::from_hours(30 * 24));
}
