//! The record of a comparison in an export: the previous period's request body, its
//! `requestId` and total, both periods and the change, beside the current run's own
//! record (sidecar key `comparison`, rows at the end of the XLSX "Query" sheet).

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::api::field::Field;
use crate::api::query::QueryBody;
use crate::data::compare::{CompareOffset, ComparePlan, CompareSummary};

/// What an export of a comparison records about its second query.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ComparisonRecord {
    /// How far back the previous period lies.
    pub offset: CompareOffset,
    /// The timestamp field both ranges are on.
    pub field: Field,
    /// The current period's first instant.
    #[serde(with = "crate::api::timestamp::serde_utc")]
    pub start: Timestamp,
    /// The first instant after the current period.
    #[serde(with = "crate::api::timestamp::serde_utc")]
    pub end: Timestamp,
    /// The previous period's first instant.
    #[serde(with = "crate::api::timestamp::serde_utc")]
    pub previous_start: Timestamp,
    /// The first instant after the previous period.
    #[serde(with = "crate::api::timestamp::serde_utc")]
    pub previous_end: Timestamp,
    /// The previous period's request body, as sent.
    pub previous_query: QueryBody,
    /// The server's `requestId` for the previous period's query.
    pub previous_request_id: Option<String>,
    /// Rows matching the previous period's query, when known.
    pub previous_total: Option<u64>,
    /// The totals and change in words (`count: 1,234 · previous period: 1,100 · +12.2 %`),
    /// when the query has a count or sum.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// The change as a report says it (`+12.2 % on last week`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change: Option<String>,
}

impl ComparisonRecord {
    /// The record of `plan`, run with these answers.
    pub fn new(
        plan: &ComparePlan,
        previous_request_id: Option<String>,
        previous_total: Option<u64>,
        summary: Option<&CompareSummary>,
    ) -> ComparisonRecord {
        let periods = plan.periods;
        ComparisonRecord {
            offset: plan.offset,
            field: periods.current.field,
            start: periods.current.start,
            end: periods.current.end,
            previous_start: periods.previous.start,
            previous_end: periods.previous.end,
            previous_query: plan.previous_body.clone(),
            previous_request_id,
            previous_total,
            summary: summary.map(CompareSummary::line),
            change: summary.map(CompareSummary::report_line),
        }
    }
}
