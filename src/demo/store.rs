//! The demo API's data source: the SQLite dataset behind a small connection pool, answering
//! compiled queries (see [`super::sql`]) as JSON rows, CSV streams, and property keys/values.
//!
//! # Concurrency
//!
//! A rusqlite `Connection` is `Send` but not `Sync`, so the store keeps a pool of them
//! (`Mutex<Vec<Connection>>`, at most [`MAX_CONNECTIONS`], more opened on demand) and lends
//! one to each call. An in-memory dataset lives in a uniquely named shared-cache in-memory
//! database (`file:inkeep-demo-<pid>-<n>?mode=memory&cache=shared`), which exists as long as
//! one connection to it is open: the pool never closes its connections before the store is
//! dropped. The data never changes after setup, so every pooled connection is `query_only`.
//!
//! # Results
//!
//! Rows come back as JSON objects keyed by the column names of
//! [`result_columns`](crate::api::columns::result_columns), in that order; an unpacked JSON
//! selection becomes one `<field>.<key>` column per top-level key seen in the page (or, for
//! CSV, in the whole result), in first-seen order, null where a row lacks the key.

use std::collections::{HashMap, HashSet};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};

use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags, Row, params_from_iter};
use serde_json::{Map, Number, Value};

use super::dataset::{self, DatasetParams};
use super::sql::{self, CompileError, CompiledQuery, OutputColumn, ValueKind};
use crate::api::query::{Field, Filter, QueryBody, TimeUnit};

/// The most connections the pool opens; further callers wait for one to come back.
pub const MAX_CONNECTIONS: usize = 8;

/// CSV is handed to the sink in chunks of about this many bytes.
pub const EXPORT_CHUNK_BYTES: usize = 64 * 1024;

/// Statements cached per connection (`prepare_cached`).
const STATEMENT_CACHE_CAPACITY: usize = 64;

/// Page cache per connection for a dataset on disk, in KiB (SQLite's negative unit).
const FILE_CACHE_KIB: i64 = 32 * 1024;

/// Numbers the in-memory databases of this process, so each store has its own.
static MEMORY_DB_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Why a store call failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The query asks for something the API does not allow (the server answers 400/422).
    #[error("invalid query: {0}")]
    InvalidQuery(#[from] CompileError),
    /// SQLite failed (the server answers 500).
    #[error("demo database: {context} failed: {source}")]
    Database {
        /// What the store was doing.
        context: &'static str,
        /// Why it failed.
        #[source]
        source: rusqlite::Error,
    },
    /// The database file could not be prepared.
    #[error("demo database file: {context} failed: {source} ({})", path.display())]
    File {
        /// What the store was doing.
        context: &'static str,
        /// The file.
        path: PathBuf,
        /// Why it failed.
        #[source]
        source: std::io::Error,
    },
    /// The export's receiver returned an error (the client went away); nothing more is sent.
    #[error("export stopped: the receiver failed: {0}")]
    SinkFailed(#[source] std::io::Error),
}

impl StoreError {
    /// True when the caller's input is at fault (answer 4xx), false for internal failures.
    pub fn is_invalid_query(&self) -> bool {
        matches!(self, StoreError::InvalidQuery(_))
    }
}

fn db(context: &'static str) -> impl FnOnce(rusqlite::Error) -> StoreError {
    move |source| StoreError::Database { context, source }
}

/// One page of a query's answer.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryPage {
    /// At most `page_size` rows, in order.
    pub rows: Vec<Map<String, Value>>,
    /// Rows (or groups) the whole query matches.
    pub total: u64,
}

/// Where the pool's connections connect to.
struct Pool {
    location: String,
    flags: OpenFlags,
    /// Page cache per connection in KiB, for file databases.
    cache_kib: Option<i64>,
    state: Mutex<PoolState>,
    returned: Condvar,
}

struct PoolState {
    idle: Vec<Connection>,
    open_count: usize,
}

/// A connection lent out by the pool; goes back in `Drop`, even when the borrower panics.
struct Lease<'a> {
    pool: &'a Pool,
    conn: Option<Connection>,
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            let mut state = self.pool.lock();
            state.idle.push(conn);
            drop(state);
            self.pool.returned.notify_one();
        }
    }
}

impl Pool {
    fn lock(&self) -> MutexGuard<'_, PoolState> {
        // The state is a list and a counter, consistent at every await point: a panic
        // elsewhere while holding the lock cannot leave it half-updated.
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Opens a pooled connection: custom functions, read-only, statement cache.
    fn connect(&self) -> Result<Connection, StoreError> {
        let conn =
            Connection::open_with_flags(&self.location, self.flags).map_err(db("opening a connection"))?;
        prepare_connection(&conn, self.cache_kib)?;
        Ok(conn)
    }

    fn lease(&self) -> Result<Lease<'_>, StoreError> {
        let mut state = self.lock();
        loop {
            if let Some(conn) = state.idle.pop() {
                return Ok(Lease { pool: self, conn: Some(conn) });
            }
            if state.open_count < MAX_CONNECTIONS {
                state.open_count += 1;
                drop(state);
                return match self.connect() {
                    Ok(conn) => Ok(Lease { pool: self, conn: Some(conn) }),
                    Err(err) => {
                        self.lock().open_count -= 1;
                        self.returned.notify_one();
                        Err(err)
                    }
                };
            }
            state = self.returned.wait(state).unwrap_or_else(|poisoned| poisoned.into_inner());
        }
    }
}

fn prepare_connection(conn: &Connection, cache_kib: Option<i64>) -> Result<(), StoreError> {
    sql::register_functions(conn).map_err(db("registering the JSON functions"))?;
    conn.pragma_update(None, "query_only", true).map_err(db("making the connection read-only"))?;
    if let Some(kib) = cache_kib {
        conn.pragma_update(None, "cache_size", -kib).map_err(db("sizing the page cache"))?;
    }
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE_CAPACITY);
    Ok(())
}

/// Indexes that let the common chart queries (counts by day or week, by type) read rows in
/// group order instead of sorting the table. The expressions are exactly those
/// [`sql::time_bucket_sql`] puts in the queries, or SQLite would not use them.
fn create_store_indexes(conn: &Connection) -> Result<(), StoreError> {
    let has_table: bool = conn
        .query_row(
            "SELECT count(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = ?1",
            [sql::TABLE],
            |row| row.get(0),
        )
        .map_err(db("looking for the conversations table"))?;
    if !has_table {
        return Ok(());
    }
    let epoch = "\"firstMessageEpoch\"";
    let mut batch = String::new();
    for (name, unit) in
        [("conversations_day_type", TimeUnit::Day), ("conversations_week_type", TimeUnit::Week)]
    {
        let bucket = sql::time_bucket_sql(unit, epoch);
        batch.push_str(&format!(
            "CREATE INDEX IF NOT EXISTS {name} ON \"{}\" ({bucket}, \"type\", {epoch});\n",
            sql::TABLE
        ));
    }
    conn.execute_batch(&batch).map_err(db("creating the bucket indexes"))
}

/// The embedded Analytics API's data: `Send + Sync`, cheap to share in an `Arc`.
pub struct DemoStore {
    pool: Pool,
    /// Property keys without a filter, per field: the data never changes once loaded.
    keys_cache: Mutex<HashMap<Field, Vec<String>>>,
}

impl std::fmt::Debug for DemoStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DemoStore").field("location", &self.pool.location).finish_non_exhaustive()
    }
}

fn memory_location() -> String {
    let n = MEMORY_DB_COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("file:inkeep-demo-{}-{n}?mode=memory&cache=shared", std::process::id())
}

fn memory_flags() -> OpenFlags {
    OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_URI
        | OpenFlags::SQLITE_OPEN_NO_MUTEX
        | OpenFlags::SQLITE_OPEN_SHARED_CACHE
}

impl DemoStore {
    /// Builds the dataset `params` describe, in memory, or on disk at `db_path` — reusing
    /// the file when [`dataset::matches_params`] says it holds exactly this dataset, else
    /// building a new one in a temporary file beside it and renaming it into place.
    pub fn open(params: &DatasetParams, db_path: Option<&Path>) -> Result<DemoStore, StoreError> {
        match db_path {
            None => DemoStore::from_setup(|conn| dataset::populate(conn, params)),
            Some(path) => DemoStore::open_file(params, path),
        }
    }

    fn open_file(params: &DatasetParams, path: &Path) -> Result<DemoStore, StoreError> {
        let reusable = path.is_file()
            && match Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE) {
                // Anything unreadable (not a database, another schema) is rebuilt.
                Ok(conn) => match dataset::matches_params(&conn, params) {
                    Ok(true) => {
                        // A file from an earlier version may lack the store's indexes; they
                        // only make queries faster, so a failure here is no reason to rebuild.
                        if let Err(err) = create_store_indexes(&conn) {
                            tracing::warn!("kept demo database without its bucket indexes: {err}");
                        }
                        true
                    }
                    _ => false,
                },
                Err(_) => false,
            };
        if !reusable {
            DemoStore::build_file(params, path)?;
        }
        let pool = Pool {
            location: path.to_string_lossy().into_owned(),
            flags: OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            cache_kib: Some(FILE_CACHE_KIB),
            state: Mutex::new(PoolState { idle: Vec::new(), open_count: 0 }),
            returned: Condvar::new(),
        };
        // Open one connection now, so a broken file fails here rather than on the first query.
        drop(pool.lease()?);
        Ok(DemoStore { pool, keys_cache: Mutex::new(HashMap::new()) })
    }

    fn build_file(params: &DatasetParams, path: &Path) -> Result<(), StoreError> {
        let dir = match path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let file_error = |context: &'static str| {
            move |source: std::io::Error| StoreError::File { context, path: path.to_path_buf(), source }
        };
        std::fs::create_dir_all(&dir).map_err(file_error("creating the directory"))?;
        let temp = tempfile::Builder::new()
            .prefix(".inkeep-demo-")
            .suffix(".sqlite.tmp")
            .tempfile_in(&dir)
            .map_err(file_error("creating a temporary file"))?;
        {
            let mut conn = Connection::open(temp.path()).map_err(db("opening the new database file"))?;
            dataset::populate(&mut conn, params).map_err(db("generating the dataset"))?;
            create_store_indexes(&conn)?;
            conn.close().map_err(|(_, source)| StoreError::Database {
                context: "closing the new database",
                source,
            })?;
        }
        temp.persist(path).map_err(|err| StoreError::File {
            context: "moving the new database into place",
            path: path.to_path_buf(),
            source: err.error,
        })?;
        Ok(())
    }

    /// A store over a fresh in-memory database that `setup` fills (tests create the table
    /// and insert rows by hand). The store's indexes are added afterwards when the
    /// `conversations` table exists.
    pub fn from_setup(
        setup: impl FnOnce(&mut Connection) -> rusqlite::Result<()>,
    ) -> Result<DemoStore, StoreError> {
        let location = memory_location();
        let flags = memory_flags();
        let mut keeper =
            Connection::open_with_flags(&location, flags).map_err(db("creating the in-memory database"))?;
        setup(&mut keeper).map_err(db("filling the in-memory database"))?;
        create_store_indexes(&keeper)?;
        prepare_connection(&keeper, None)?;
        let pool = Pool {
            location,
            flags,
            cache_kib: None,
            // The setup connection keeps the in-memory database alive: it stays in the pool,
            // and the pool closes nothing before the store is dropped.
            state: Mutex::new(PoolState { idle: vec![keeper], open_count: 1 }),
            returned: Condvar::new(),
        };
        Ok(DemoStore { pool, keys_cache: Mutex::new(HashMap::new()) })
    }

    /// Runs `q` and returns at most `page_size` rows, with the total row (or group) count.
    pub fn query(&self, q: &QueryBody, page_size: usize) -> Result<QueryPage, StoreError> {
        let compiled = sql::compile_query(q)?;
        let lease = self.pool.lease()?;
        let Some(conn) = lease.conn.as_ref() else {
            return Err(lost_connection());
        };
        let mut cells: Vec<Vec<Cell>> = Vec::new();
        let total = if compiled.grouped {
            // Groups come out of one sort anyway: count them while reading the page instead
            // of grouping the table a second time.
            let mut stmt = conn.prepare_cached(&compiled.sql).map_err(db("preparing the query"))?;
            let mut rows =
                stmt.query(params_from_iter(compiled.params.iter())).map_err(db("running the query"))?;
            let mut total = 0u64;
            while let Some(row) = rows.next().map_err(db("reading the result"))? {
                if cells.len() < page_size {
                    cells.push(decode_row(row, &compiled.columns)?);
                }
                total += 1;
            }
            total
        } else {
            let (page_sql, page_params) = compiled.with_limit(page_size);
            let mut stmt = conn.prepare_cached(&page_sql).map_err(db("preparing the query"))?;
            let mut rows =
                stmt.query(params_from_iter(page_params.iter())).map_err(db("running the query"))?;
            while let Some(row) = rows.next().map_err(db("reading the result"))? {
                cells.push(decode_row(row, &compiled.columns)?);
            }
            let count = sql::compile_count(q)?;
            let mut stmt = conn.prepare_cached(&count.sql).map_err(db("preparing the count"))?;
            let total: i64 = stmt
                .query_row(params_from_iter(count.params.iter()), |row| row.get(0))
                .map_err(db("counting the rows"))?;
            u64::try_from(total).unwrap_or(0)
        };
        drop(lease);
        Ok(QueryPage { rows: assemble_rows(&compiled.columns, cells), total })
    }

    /// Streams the whole result of `q` as RFC 4180 CSV (CRLF line ends; a header row of
    /// column names; JSON values as compact JSON text; nulls as empty fields) into `sink`,
    /// in chunks of about [`EXPORT_CHUNK_BYTES`]. Unpacked JSON selections become one column
    /// per key over the whole result (first seen first), which takes a first pass over the
    /// result. Returns the number of data rows. Stops at the first error of `sink`.
    pub fn export_csv(
        &self,
        q: &QueryBody,
        sink: &mut dyn FnMut(&[u8]) -> std::io::Result<()>,
    ) -> Result<u64, StoreError> {
        let compiled = sql::compile_query(q)?;
        let lease = self.pool.lease()?;
        let Some(conn) = lease.conn.as_ref() else {
            return Err(lost_connection());
        };
        let keys = collect_unpacked_keys(conn, &compiled)?;
        let layout = CsvLayout::new(&compiled.columns, keys);

        let mut buf: Vec<u8> = Vec::with_capacity(EXPORT_CHUNK_BYTES + 8 * 1024);
        layout.write_header(&mut buf);
        let mut stmt = conn.prepare_cached(&compiled.sql).map_err(db("preparing the export"))?;
        let mut rows =
            stmt.query(params_from_iter(compiled.params.iter())).map_err(db("running the export"))?;
        let mut row_count = 0u64;
        while let Some(row) = rows.next().map_err(db("reading the export"))? {
            layout.write_row(row, &mut buf)?;
            row_count += 1;
            if buf.len() >= EXPORT_CHUNK_BYTES {
                sink(&buf).map_err(StoreError::SinkFailed)?;
                buf.clear();
            }
        }
        if !buf.is_empty() {
            sink(&buf).map_err(StoreError::SinkFailed)?;
        }
        Ok(row_count)
    }

    /// The distinct top-level keys of `field` (`properties` or `userProperties`) over the
    /// rows matching `filter`, sorted.
    pub fn property_keys(&self, field: Field, filter: Option<&Filter>) -> Result<Vec<String>, StoreError> {
        let column = json_column(field)?;
        if filter.is_none()
            && let Some(keys) = self.lock_keys_cache().get(&field)
        {
            return Ok(keys.clone());
        }
        let mut params = Vec::new();
        let mut sql = format!(
            "SELECT DISTINCT pk.key FROM \"{}\" AS t, json_each(t.\"{column}\") AS pk \
             WHERE json_type(t.\"{column}\") = 'object'",
            sql::TABLE
        );
        if let Some(filter) = filter {
            let condition = sql::compile_filter(filter, &mut params)?;
            sql.push_str(&format!(" AND {condition}"));
        }
        sql.push_str(" ORDER BY pk.key");
        let lease = self.pool.lease()?;
        let Some(conn) = lease.conn.as_ref() else {
            return Err(lost_connection());
        };
        let mut stmt = conn.prepare_cached(&sql).map_err(db("preparing the property keys"))?;
        let keys = stmt
            .query_map(params_from_iter(params.iter()), |row| row.get::<_, String>(0))
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<String>>>())
            .map_err(db("reading the property keys"))?;
        if filter.is_none() {
            self.lock_keys_cache().insert(field, keys.clone());
        }
        Ok(keys)
    }

    /// The distinct values of the top-level `key` of `field` over the rows matching
    /// `filter`, as strings (strings as they are, other JSON as compact JSON text; JSON
    /// nulls and rows without the key left out), most frequent first, at most `limit`.
    pub fn property_values(
        &self,
        field: Field,
        key: &str,
        filter: Option<&Filter>,
        limit: usize,
    ) -> Result<Vec<String>, StoreError> {
        let column = json_column(field)?;
        let mut params = vec![rusqlite::types::Value::Text(sql::json_path(&[key.to_string()]))];
        let x = format!("t.\"{column}\"");
        let mut sql = format!(
            "SELECT CASE json_type({x}, ?1) WHEN 'text' THEN ({x} ->> ?1) ELSE ({x} -> ?1) END AS v, \
             count(*) AS n FROM \"{}\" AS t WHERE json_type({x}, ?1) <> 'null'",
            sql::TABLE
        );
        if let Some(filter) = filter {
            let condition = sql::compile_filter(filter, &mut params)?;
            sql.push_str(&format!(" AND {condition}"));
        }
        params.push(rusqlite::types::Value::Integer(i64::try_from(limit).unwrap_or(i64::MAX)));
        sql.push_str(&format!(" GROUP BY v ORDER BY n DESC, v ASC LIMIT ?{}", params.len()));
        let lease = self.pool.lease()?;
        let Some(conn) = lease.conn.as_ref() else {
            return Err(lost_connection());
        };
        let mut stmt = conn.prepare_cached(&sql).map_err(db("preparing the property values"))?;
        stmt.query_map(params_from_iter(params.iter()), |row| row.get::<_, String>(0))
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<String>>>())
            .map_err(db("reading the property values"))
    }

    fn lock_keys_cache(&self) -> MutexGuard<'_, HashMap<Field, Vec<String>>> {
        self.keys_cache.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn lost_connection() -> StoreError {
    StoreError::Database { context: "borrowing a connection", source: rusqlite::Error::InvalidQuery }
}

fn json_column(field: Field) -> Result<&'static str, StoreError> {
    match field {
        Field::Properties => Ok("properties"),
        Field::UserProperties => Ok("userProperties"),
        other => Err(StoreError::InvalidQuery(CompileError {
            location: "field".to_string(),
            message: format!("`{other}` has no keys; use properties or userProperties"),
        })),
    }
}

// ---------------------------------------------------------------------------------------
// JSON rows.

/// One decoded SQL value: a JSON value, or the object of an unpacked column.
enum Cell {
    Value(Value),
    Object(Option<Map<String, Value>>),
}

fn float_value(f: f64) -> Value {
    Number::from_f64(f).map_or(Value::Null, Value::Number)
}

fn text_of(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn decode_value(kind: ValueKind, raw: ValueRef<'_>) -> Value {
    match (kind, raw) {
        (_, ValueRef::Null) => Value::Null,
        (ValueKind::Float, ValueRef::Integer(i)) => float_value(i as f64),
        (ValueKind::TimeBucket, ValueRef::Integer(i)) => Value::String(sql::format_bucket(i)),
        (ValueKind::TimeBucket, ValueRef::Real(f)) => Value::String(sql::format_bucket(f as i64)),
        (_, ValueRef::Integer(i)) => Value::from(i),
        (_, ValueRef::Real(f)) => float_value(f),
        (ValueKind::Json | ValueKind::Unpacked, ValueRef::Text(bytes)) => {
            serde_json::from_slice(bytes).unwrap_or_else(|_| Value::String(text_of(bytes)))
        }
        (_, ValueRef::Text(bytes) | ValueRef::Blob(bytes)) => Value::String(text_of(bytes)),
    }
}

fn decode_row(row: &Row<'_>, columns: &[OutputColumn]) -> Result<Vec<Cell>, StoreError> {
    let mut cells = Vec::with_capacity(columns.len());
    for (index, column) in columns.iter().enumerate() {
        let raw = row.get_ref(index).map_err(db("reading a column"))?;
        cells.push(match column.kind {
            ValueKind::Unpacked => Cell::Object(match decode_value(ValueKind::Json, raw) {
                Value::Object(map) => Some(map),
                _ => None,
            }),
            kind => Cell::Value(decode_value(kind, raw)),
        });
    }
    Ok(cells)
}

/// Names of the non-unpacked columns: an unpacked key spelled like one of them is left
/// out, the explicit column wins (both hold the same value).
fn explicit_names(columns: &[OutputColumn]) -> HashSet<&str> {
    columns.iter().filter(|c| c.kind != ValueKind::Unpacked).map(|c| c.name.as_str()).collect()
}

/// Keys in first-seen order, without duplicates.
#[derive(Default)]
struct KeyOrder {
    keys: Vec<String>,
    seen: HashSet<String>,
}

impl KeyOrder {
    fn add(&mut self, key: &str) {
        if !self.seen.contains(key) {
            self.seen.insert(key.to_string());
            self.keys.push(key.to_string());
        }
    }
}

fn assemble_rows(columns: &[OutputColumn], cells: Vec<Vec<Cell>>) -> Vec<Map<String, Value>> {
    let explicit = explicit_names(columns);
    let mut keys: Vec<KeyOrder> = columns.iter().map(|_| KeyOrder::default()).collect();
    for row in &cells {
        for (cell, order) in row.iter().zip(keys.iter_mut()) {
            if let Cell::Object(Some(map)) = cell {
                map.keys().for_each(|key| order.add(key));
            }
        }
    }
    cells
        .into_iter()
        .map(|row| {
            let mut out = Map::new();
            for ((cell, column), order) in row.into_iter().zip(columns).zip(&keys) {
                match cell {
                    Cell::Value(value) => {
                        out.insert(column.name.clone(), value);
                    }
                    Cell::Object(mut object) => {
                        for key in &order.keys {
                            let name = format!("{}.{key}", column.name);
                            if explicit.contains(name.as_str()) {
                                continue;
                            }
                            let value =
                                object.as_mut().and_then(|map| map.remove(key)).unwrap_or(Value::Null);
                            out.insert(name, value);
                        }
                    }
                }
            }
            out
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// CSV.

/// The top-level keys of a JSON object text, in document order, without building values.
struct ObjectKeys(Vec<String>);

impl<'de> serde::Deserialize<'de> for ObjectKeys {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = ObjectKeys;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<ObjectKeys, A::Error> {
                let mut keys = Vec::new();
                while let Some(key) = map.next_key::<String>()? {
                    map.next_value::<serde::de::IgnoredAny>()?;
                    keys.push(key);
                }
                Ok(ObjectKeys(keys))
            }
        }
        deserializer.deserialize_map(Visitor)
    }
}

/// First pass of an export: the keys of each unpacked column over the whole result.
fn collect_unpacked_keys(
    conn: &Connection,
    compiled: &CompiledQuery,
) -> Result<Vec<Vec<String>>, StoreError> {
    let mut orders: Vec<KeyOrder> = compiled.columns.iter().map(|_| KeyOrder::default()).collect();
    let unpacked: Vec<usize> = compiled
        .columns
        .iter()
        .enumerate()
        .filter(|(_, c)| c.kind == ValueKind::Unpacked)
        .map(|(i, _)| i)
        .collect();
    if !unpacked.is_empty() {
        let mut stmt = conn.prepare_cached(&compiled.sql).map_err(db("preparing the export"))?;
        let mut rows =
            stmt.query(params_from_iter(compiled.params.iter())).map_err(db("running the export"))?;
        while let Some(row) = rows.next().map_err(db("reading the export"))? {
            for &index in &unpacked {
                if let ValueRef::Text(bytes) = row.get_ref(index).map_err(db("reading a column"))?
                    && let Ok(ObjectKeys(keys)) = serde_json::from_slice::<ObjectKeys>(bytes)
                    && let Some(order) = orders.get_mut(index)
                {
                    keys.iter().for_each(|key| order.add(key));
                }
            }
        }
    }
    Ok(orders.into_iter().map(|order| order.keys).collect())
}

/// What each CSV column comes from.
struct CsvLayout<'a> {
    columns: &'a [OutputColumn],
    /// Per column: the keys to write (unpacked columns only; colliding names removed).
    keys: Vec<Vec<String>>,
}

impl<'a> CsvLayout<'a> {
    fn new(columns: &'a [OutputColumn], mut keys: Vec<Vec<String>>) -> CsvLayout<'a> {
        let explicit = explicit_names(columns);
        for (column, column_keys) in columns.iter().zip(keys.iter_mut()) {
            column_keys.retain(|key| !explicit.contains(format!("{}.{key}", column.name).as_str()));
        }
        CsvLayout { columns, keys }
    }

    fn write_header(&self, buf: &mut Vec<u8>) {
        let mut first = true;
        for (column, keys) in self.columns.iter().zip(&self.keys) {
            if column.kind == ValueKind::Unpacked {
                for key in keys {
                    separator(buf, &mut first);
                    write_field(buf, format!("{}.{key}", column.name).as_bytes());
                }
            } else {
                separator(buf, &mut first);
                write_field(buf, column.name.as_bytes());
            }
        }
        buf.extend_from_slice(b"\r\n");
    }

    fn write_row(&self, row: &Row<'_>, buf: &mut Vec<u8>) -> Result<(), StoreError> {
        let mut first = true;
        for (index, (column, keys)) in self.columns.iter().zip(&self.keys).enumerate() {
            let raw = row.get_ref(index).map_err(db("reading a column"))?;
            if column.kind == ValueKind::Unpacked {
                let mut object = match decode_value(ValueKind::Json, raw) {
                    Value::Object(map) => map,
                    _ => Map::new(),
                };
                for key in keys {
                    separator(buf, &mut first);
                    if let Some(value) = object.remove(key) {
                        write_json_value(buf, &value);
                    }
                }
            } else {
                separator(buf, &mut first);
                write_cell(buf, column.kind, raw);
            }
        }
        buf.extend_from_slice(b"\r\n");
        Ok(())
    }
}

fn separator(buf: &mut Vec<u8>, first: &mut bool) {
    if !*first {
        buf.push(b',');
    }
    *first = false;
}

/// One RFC 4180 field: quoted (with doubled quotes) when it holds a comma, quote or line break.
fn write_field(buf: &mut Vec<u8>, text: &[u8]) {
    if text.iter().any(|&b| matches!(b, b',' | b'"' | b'\r' | b'\n')) {
        buf.push(b'"');
        for &b in text {
            if b == b'"' {
                buf.push(b'"');
            }
            buf.push(b);
        }
        buf.push(b'"');
    } else {
        buf.extend_from_slice(text);
    }
}

fn write_float(buf: &mut Vec<u8>, f: f64) {
    // serde_json's spelling, so CSV and JSON answers agree (2.0, not 2).
    if let Some(number) = Number::from_f64(f) {
        let _ = write!(buf, "{number}");
    }
}

fn write_cell(buf: &mut Vec<u8>, kind: ValueKind, raw: ValueRef<'_>) {
    match (kind, raw) {
        (_, ValueRef::Null) => {}
        (ValueKind::Float, ValueRef::Integer(i)) => write_float(buf, i as f64),
        (ValueKind::TimeBucket, ValueRef::Integer(i)) => {
            buf.extend_from_slice(sql::format_bucket(i).as_bytes())
        }
        (_, ValueRef::Integer(i)) => {
            let _ = write!(buf, "{i}");
        }
        (_, ValueRef::Real(f)) => write_float(buf, f),
        (ValueKind::Json, ValueRef::Text(bytes)) if bytes.first() == Some(&b'"') => {
            // A JSON string: its text, not its JSON spelling.
            match serde_json::from_slice::<String>(bytes) {
                Ok(text) => write_field(buf, text.as_bytes()),
                Err(_) => write_field(buf, bytes),
            }
        }
        // Other JSON is already compact (SQLite's `->` and `json()` minify; the dataset
        // stores compact text), and plain text is written as it is.
        (_, ValueRef::Text(bytes) | ValueRef::Blob(bytes)) => write_field(buf, bytes),
    }
}

fn write_json_value(buf: &mut Vec<u8>, value: &Value) {
    match value {
        Value::Null => {}
        Value::String(s) => write_field(buf, s.as_bytes()),
        Value::Bool(b) => buf.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Number(n) => {
            let _ = write!(buf, "{n}");
        }
        Value::Array(_) | Value::Object(_) => write_field(buf, value.to_string().as_bytes()),
    }
}

/// A handcrafted 12-row table for exact expectations (shared with the `sql` tests).
///
/// Designed to cover: nulls in plain fields, a NULL JSON field, JSON nulls, missing keys,
/// arrays (and a scalar where other rows have an array), nested objects, arrays of
/// objects, numbers vs numeric strings vs booleans, two rows at the same instant, a leap
/// day, week boundaries across a month and a year, month boundaries, hostile keys.
#[cfg(test)]
pub(crate) mod fixture {
    use rusqlite::{Connection, params};

    /// `(id, userMessageCount, organizationId, projectId, integrationId, firstMessageTime,
    /// type, properties, userProperties)`.
    pub(crate) type Row = (
        &'static str,
        i64,
        &'static str,
        &'static str,
        Option<&'static str>,
        &'static str,
        Option<&'static str>,
        Option<&'static str>,
        Option<&'static str>,
    );

    pub(crate) const ROWS: [Row; 12] = [
        (
            "r01",
            3,
            "org_a",
            "proj_1",
            Some("int_widget"),
            "2024-02-29T10:15:30.250Z",
            Some("openai"),
            Some(
                r#"{"source":"widget","tags":["billing","auth"],"resolved":true,"csat":5,"browser":{"name":"Firefox","version":120},"articles":[{"title":"Pricing","score":0.9},{"title":"Login","score":0.4}]}"#,
            ),
            Some(r#"{"id":"u1","identificationType":"COOKIED","userType":"customer"}"#),
        ),
        (
            "r02",
            1,
            "org_a",
            "proj_1",
            Some("int_slack"),
            "2024-03-01T00:00:00.000Z",
            Some("support_ticket"),
            Some(r#"{"source":"slack","tags":["api"],"resolved":false,"csat":3}"#),
            Some(
                r#"{"id":"u2","identificationType":"ID_PROVIDED","userId":"alice","userType":"customer","supportAgentName":"Bob"}"#,
            ),
        ),
        (
            "r03",
            7,
            "org_a",
            "proj_2",
            Some("int_widget"),
            "2024-02-29T23:59:59.999Z",
            Some("openai"),
            Some(r#"{"source":"widget","tags":[],"resolved":true,"csat":null}"#),
            Some(r#"{"id":"u3","identificationType":"ID_PROVIDED","userId":"alice","userType":"internal"}"#),
        ),
        (
            "r04",
            2,
            "org_b",
            "proj_3",
            None,
            "2023-12-31T23:30:00.000Z",
            None,
            None,
            Some(r#"{"id":"u4","identificationType":"ANONYMOUS"}"#),
        ),
        (
            "r05",
            5,
            "org_b",
            "proj_3",
            Some("int_discord"),
            "2024-01-01T00:00:00.000Z",
            Some("support_copilot"),
            Some(r#"{"source":"discord","tags":["bug","billing"],"csat":4.5,"language":"en"}"#),
            None,
        ),
        (
            "r06",
            1,
            "org_a",
            "proj_2",
            Some("int_api"),
            "2024-01-07T23:59:59.000Z",
            Some("openai"),
            Some(r#"{"source":"api","csat":"5","language":"de"}"#),
            Some(r#"{"id":"u6","identificationType":"ID_PROVIDED","userId":"carol","userType":"trial"}"#),
        ),
        (
            "r07",
            4,
            "org_b",
            "proj_4",
            Some("int_widget"),
            "2024-01-08T00:00:00.000Z",
            Some("support_copilot"),
            Some(r#"{"source":"widget","resolved":true,"csat":true}"#),
            Some(r#"{"id":"u7","identificationType":"COOKIED","userType":"customer","supportAgentName":"Dana"}"#),
        ),
        (
            "r08",
            10,
            "org_a",
            "proj_1",
            Some("int_widget"),
            "2024-03-04T12:00:00.500Z",
            Some("openai"),
            Some("{}"),
            Some(r#"{"id":"u8","identificationType":"ID_PROVIDED","userId":"bob","userType":"customer"}"#),
        ),
        (
            "r09",
            2,
            "org_b",
            "proj_4",
            Some("int_zendesk"),
            "2024-03-04T12:59:59.000Z",
            Some("support_ticket"),
            Some(
                r#"{"source":"zendesk","tags":["pricing",["nested"]],"articles":[{"title":"Pricing","score":0.2}],"nested":{"a":{"b":1}}}"#,
            ),
            Some(r#"{"id":"u9","identificationType":"ID_PROVIDED","userId":"alice","supportAgentName":"Bob"}"#),
        ),
        (
            "r10",
            6,
            "org_a",
            "proj_1",
            None,
            "2024-03-04T13:00:00.000Z",
            None,
            Some(r#"{"source":null,"tags":"billing"}"#),
            Some(r#"{"id":"u10","identificationType":"COOKIED","userType":null}"#),
        ),
        (
            "r11",
            1,
            "org_a",
            "proj_2",
            Some("int_slack"),
            "2024-02-29T10:15:30.250Z",
            Some("support_copilot"),
            Some(r#"{"source":"slack","csat":2,"language":"en"}"#),
            Some(r#"{"id":"u11","identificationType":"ID_PROVIDED","userId":"carol","userType":"customer"}"#),
        ),
        (
            "r12",
            8,
            "org_b",
            "proj_3",
            Some("int_api"),
            "2021-01-03T08:00:00.000Z",
            Some("openai"),
            Some(
                r#"{"weird \"key\"":"v1","semi;colon":"--","unicode ключ":"значение","a.b":1,"back\\slash":true}"#,
            ),
            Some(r#"{"id":"u12","identificationType":"COOKIED","userType":"internal"}"#),
        ),
    ];

    /// The schema exactly as `dataset.rs` creates it.
    pub(crate) const SCHEMA: &str = "CREATE TABLE conversations (
        id TEXT NOT NULL PRIMARY KEY, userMessageCount INTEGER NOT NULL, organizationId TEXT NOT NULL,
        projectId TEXT NOT NULL, integrationId TEXT, firstMessageTime TEXT NOT NULL,
        firstMessageEpoch INTEGER NOT NULL, type TEXT, properties TEXT, userProperties TEXT);
        CREATE TABLE demo_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);";

    /// Creates the table and inserts [`ROWS`] (epochs computed with chrono, independently
    /// of the SQL under test).
    pub(crate) fn setup(conn: &mut Connection) -> rusqlite::Result<()> {
        conn.execute_batch(SCHEMA)?;
        let mut stmt = conn.prepare("INSERT INTO conversations VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)")?;
        for (id, count, org, project, integration, time, kind, props, user) in ROWS {
            let epoch = chrono::DateTime::parse_from_rfc3339(time).unwrap().timestamp();
            stmt.execute(params![id, count, org, project, integration, time, epoch, kind, props, user])?;
        }
        Ok(())
    }
}
