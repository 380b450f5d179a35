//! [`SeriesCache`]: the chart is derived once per table, query and options, not per frame.

use std::hash::{Hash, Hasher};

use jiff::Timestamp;

use crate::api::query::QueryBody;
use crate::data::table::{CellRef, ResultTable};

use super::{Chart, SeriesOptions, derive_chart};

/// What identifies a derivation: the table (address, shape and a fingerprint of its
/// contents, so a new table at a reused address is still noticed), the query and the options.
#[derive(Debug, Clone, PartialEq)]
struct CacheKey {
    table: Option<TableIdentity>,
    query: QueryBody,
    options: SeriesOptions,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct TableIdentity {
    address: usize,
    row_count: usize,
    column_count: usize,
    fingerprint: u64,
}

impl TableIdentity {
    fn of(table: &ResultTable) -> TableIdentity {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        let rows = table.row_count();
        let samples = [0, rows / 3, rows / 2, rows.saturating_sub(1)];
        for column in table.columns() {
            column.name().hash(&mut hasher);
            column.column_type().hash(&mut hasher);
            column.null_count().hash(&mut hasher);
            for row in samples.into_iter().filter(|&row| row < rows) {
                hash_cell(column.cell(row), &mut hasher);
            }
        }
        TableIdentity {
            address: std::ptr::from_ref(table) as usize,
            row_count: rows,
            column_count: table.column_count(),
            fingerprint: hasher.finish(),
        }
    }
}

fn hash_cell(cell: CellRef<'_>, hasher: &mut impl Hasher) {
    match cell {
        CellRef::Null => 0u8.hash(hasher),
        CellRef::Int(v) | CellRef::Timestamp(v) => v.hash(hasher),
        CellRef::Float(v) => v.to_bits().hash(hasher),
        CellRef::Text(s) | CellRef::Json(s) => s.hash(hasher),
        CellRef::Bool(b) => b.hash(hasher),
    }
}

/// Memoises [`derive_chart`]: a frame only re-derives when the table, the query or the
/// options change; the partial marks follow the current time every frame (cheaply).
#[derive(Debug, Default)]
pub struct SeriesCache {
    key: Option<CacheKey>,
    chart: Chart,
    derivation_count: u64,
}

impl SeriesCache {
    /// An empty cache.
    pub fn new() -> SeriesCache {
        SeriesCache::default()
    }

    /// The chart of `table` under `query` and `options`, derived only when one of them changed.
    pub fn get(
        &mut self,
        table: Option<&ResultTable>,
        query: &QueryBody,
        options: &SeriesOptions,
        now: Timestamp,
    ) -> &Chart {
        let identity = table.map(TableIdentity::of);
        let fresh = self
            .key
            .as_ref()
            .is_some_and(|key| key.table == identity && key.options == *options && key.query == *query);
        if fresh {
            if let Chart::Time(data) = &mut self.chart {
                data.apply_now(now);
            }
        } else {
            self.chart = derive_chart(table, query, options, now);
            self.key = Some(CacheKey { table: identity, query: query.clone(), options: options.clone() });
            self.derivation_count += 1;
        }
        &self.chart
    }

    /// The last chart derived (without checking whether it is current).
    pub fn chart(&self) -> &Chart {
        &self.chart
    }

    /// How many times the chart was derived: changes exactly when the chart was rebuilt, so
    /// the UI can reset its zoom for a new result.
    pub fn derivation_count(&self) -> u64 {
        self.derivation_count
    }

    /// Forgets the cached chart.
    pub fn clear(&mut self) {
        self.key = None;
        self.chart = Chart::default();
    }
}
