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
//!
//! # One responsibility
//!
//! Turning compiled statements into answers over one pool of connections: the pool, the
//! decoding of SQL values into JSON rows and the streaming CSV writer share the
//! [`ValueKind`] decoding and the unpacked-column layout, and the tests of those answers
//! (shapes, paging, export chunks, concurrency, files on disk) stay beside them. The SQL
//! semantics are tested with the compiler, in `sql/tests/`.

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
use crate::api::validate::foreign_filter_problems;
use crate::api::view::View;
// The one CSV quoting rule (RFC 4180), the same bytes as the app's exports.
use crate::data::export::csv_field as write_field;

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

/// Indexes that let the common chart queries of every view (counts by day or week, by type,
/// event type or category) read rows in group order instead of sorting the table. The expressions are exactly those
/// [`sql::time_bucket_sql`] puts in the queries, or SQLite would not use them.
fn create_store_indexes(conn: &Connection) -> Result<(), StoreError> {
    // Tests build stores with some tables only: index the tables there are.
    let tables: HashSet<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
        .and_then(|mut stmt| stmt.query_map([], |row| row.get(0))?.collect())
        .map_err(db("listing the tables"))?;
    let mut batch = String::new();
    // (view, the column charts split by): the common "per day/week by …" on the view's
    // default time field.
    let charts = [
        (View::Conversations, "type"),
        (View::Events, "eventType"),
        (View::Feedback, "type"),
        (View::SemanticThreads, "category"),
    ];
    for (view, by) in charts {
        let table = sql::table_name(view);
        let Some(epoch_column) = sql::epoch_column(view.default_time_field()) else { continue };
        if !tables.contains(table) {
            continue;
        }
        let epoch = format!("\"{epoch_column}\"");
        for (unit, unit_name) in [(TimeUnit::Day, "day"), (TimeUnit::Week, "week")] {
            let bucket = sql::time_bucket_sql(unit, &epoch);
            batch.push_str(&format!(
                "CREATE INDEX IF NOT EXISTS {table}_{unit_name}_{by} ON \"{table}\" ({bucket}, \"{by}\", {epoch});\n"
            ));
        }
    }
    // Knowledge gaps (undocumented threads by category) read this index alone, not the
    // threads' long texts; events filtered on their source read their generated column.
    if tables.contains("semantic_threads") {
        batch.push_str(
            "CREATE INDEX IF NOT EXISTS semantic_threads_documented_category
                 ON semantic_threads (isDocumented, category);\n",
        );
    }
    if tables.contains("events") {
        batch
            .push_str("CREATE INDEX IF NOT EXISTS events_properties_source ON events (properties_source, createdAtEpoch);\n");
    }
    conn.execute_batch(&batch).map_err(db("creating the bucket indexes"))
}

/// Property keys without a filter, by field and the views looked in.
type KeysCache = HashMap<(Field, Vec<View>), Vec<String>>;

/// The embedded Analytics API's data: `Send + Sync`, cheap to share in an `Arc`.
pub struct DemoStore {
    pool: Pool,
    /// Property keys without a filter, per field and views: the data never changes once loaded.
    keys_cache: Mutex<KeysCache>,
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

    /// A store over a fresh in-memory database holding only `tables` of the dataset (the
    /// server loads the conversations first, then the other views into a second store).
    pub fn open_tables(params: &DatasetParams, tables: dataset::Tables) -> Result<DemoStore, StoreError> {
        DemoStore::from_setup(|conn| dataset::populate_tables(conn, params, tables))
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

    /// Runs `q` on `view` and returns at most `page_size` rows, with the total row (or
    /// group) count.
    pub fn query(&self, view: View, q: &QueryBody, page_size: usize) -> Result<QueryPage, StoreError> {
        let compiled = sql::compile_query(view, q)?;
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
            let count = sql::compile_count(view, q)?;
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
        view: View,
        q: &QueryBody,
        sink: &mut dyn FnMut(&[u8]) -> std::io::Result<()>,
    ) -> Result<u64, StoreError> {
        let compiled = sql::compile_query(view, q)?;
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
    /// rows of `views` matching `filter`, sorted. The filter is a conversations filter (as
    /// the published schema types it); a view lacking a field it names has no row that
    /// matches it, and contributes no keys.
    pub fn property_keys(
        &self,
        field: Field,
        views: &[View],
        filter: Option<&Filter>,
    ) -> Result<Vec<String>, StoreError> {
        let column = json_column(field)?;
        let views = property_views(views, filter);
        let cache_key = (field, views.clone());
        if filter.is_none()
            && let Some(keys) = self.lock_keys_cache().get(&cache_key)
        {
            return Ok(keys.clone());
        }
        let mut params = Vec::new();
        let mut selects = Vec::new();
        for view in &views {
            let mut select = format!(
                "SELECT DISTINCT pk.key AS key FROM \"{}\" AS t, json_each(t.\"{column}\") AS pk \
                 WHERE json_type(t.\"{column}\") = 'object'",
                sql::table_name(*view)
            );
            if let Some(filter) = filter {
                let condition = sql::compile_filter(*view, filter, &mut params)?;
                select.push_str(&format!(" AND {condition}"));
            }
            selects.push(select);
        }
        let keys = if selects.is_empty() {
            Vec::new()
        } else {
            // UNION (not UNION ALL): distinct keys over every view.
            let sql = format!("{} ORDER BY key", selects.join(" UNION "));
            let lease = self.pool.lease()?;
            let Some(conn) = lease.conn.as_ref() else {
                return Err(lost_connection());
            };
            let mut stmt = conn.prepare_cached(&sql).map_err(db("preparing the property keys"))?;
            stmt.query_map(params_from_iter(params.iter()), |row| row.get::<_, String>(0))
                .and_then(|rows| rows.collect::<rusqlite::Result<Vec<String>>>())
                .map_err(db("reading the property keys"))?
        };
        if filter.is_none() {
            self.lock_keys_cache().insert(cache_key, keys.clone());
        }
        Ok(keys)
    }

    /// The distinct values of the top-level `key` of `field` over the rows of `views`
    /// matching `filter`, as strings (strings as they are, other JSON as compact JSON text;
    /// JSON nulls and rows without the key left out), most frequent first, at most `limit`.
    pub fn property_values(
        &self,
        field: Field,
        key: &str,
        views: &[View],
        filter: Option<&Filter>,
        limit: usize,
    ) -> Result<Vec<String>, StoreError> {
        let counted = self.property_value_counts(field, key, views, filter, Some(limit))?;
        Ok(counted.into_iter().map(|(value, _)| value).collect())
    }

    /// [`DemoStore::property_values`] with how many rows hold each value, at most `limit`
    /// (all when `None`), so that the lists of two stores can be merged.
    pub fn property_value_counts(
        &self,
        field: Field,
        key: &str,
        views: &[View],
        filter: Option<&Filter>,
        limit: Option<usize>,
    ) -> Result<Vec<(String, u64)>, StoreError> {
        let column = json_column(field)?;
        let views = property_views(views, filter);
        if views.is_empty() {
            return Ok(Vec::new());
        }
        let mut params = vec![rusqlite::types::Value::Text(sql::json_object_key_path(key))];
        let x = format!("t.\"{column}\"");
        let mut selects = Vec::new();
        for view in &views {
            let mut select = format!(
                "SELECT CASE json_type({x}, ?1) WHEN 'text' THEN ({x} ->> ?1) ELSE ({x} -> ?1) END AS v \
                 FROM \"{}\" AS t WHERE json_type({x}, ?1) <> 'null'",
                sql::table_name(*view)
            );
            if let Some(filter) = filter {
                let condition = sql::compile_filter(*view, filter, &mut params)?;
                select.push_str(&format!(" AND {condition}"));
            }
            selects.push(select);
        }
        let limit = limit.map_or(-1, |limit| i64::try_from(limit).unwrap_or(i64::MAX));
        params.push(rusqlite::types::Value::Integer(limit));
        let sql = format!(
            "SELECT v, count(*) AS n FROM ({}) GROUP BY v ORDER BY n DESC, v ASC LIMIT ?{}",
            selects.join(" UNION ALL "),
            params.len()
        );
        let lease = self.pool.lease()?;
        let Some(conn) = lease.conn.as_ref() else {
            return Err(lost_connection());
        };
        let mut stmt = conn.prepare_cached(&sql).map_err(db("preparing the property values"))?;
        stmt.query_map(params_from_iter(params.iter()), |row| {
            Ok((row.get::<_, String>(0)?, u64::try_from(row.get::<_, i64>(1)?).unwrap_or(0)))
        })
        .and_then(|rows| rows.collect::<rusqlite::Result<Vec<(String, u64)>>>())
        .map_err(db("reading the property values"))
    }

    fn lock_keys_cache(&self) -> MutexGuard<'_, KeysCache> {
        self.keys_cache.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The views a property request looks in: the ones asked for, in their usual order,
/// without repeats, and without those lacking a field `filter` names.
fn property_views(views: &[View], filter: Option<&Filter>) -> Vec<View> {
    View::ALL
        .into_iter()
        .filter(|view| views.contains(view))
        .filter(|view| filter.is_none_or(|filter| foreign_filter_problems(*view, filter).is_empty()))
        .collect()
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
        (ValueKind::Bool, ValueRef::Integer(i)) => Value::Bool(i != 0),
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
            if column.kind == ValueKind::Unpacked && !keys.is_empty() {
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
        let row_start = buf.len();
        let mut first = true;
        for (index, (column, keys)) in self.columns.iter().zip(&self.keys).enumerate() {
            let raw = row.get_ref(index).map_err(db("reading a column"))?;
            if column.kind == ValueKind::Unpacked && keys.is_empty() {
                // No row has a key to unpack (all null or empty objects): the field stays one
                // empty column under its own name, so the export still has it, and a result
                // of that column alone still has a header and one line per row.
                separator(buf, &mut first);
            } else if column.kind == ValueKind::Unpacked {
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
        // A record that is one empty field would be an empty line, which CSV readers skip:
        // write it as `""` (as the csv crate does) so every row survives a round trip.
        if buf.len() == row_start {
            buf.extend_from_slice(b"\"\"");
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
        (ValueKind::Bool, ValueRef::Integer(i)) => {
            buf.extend_from_slice(if i != 0 { b"true" } else { b"false" })
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use serde_json::json;

    use super::*;
    use crate::demo::fixture::{self, body, cond, cond_no_value, rows, rows_to_values, store};

    #[test]
    fn raw_rows_carry_every_field_in_order() {
        let store = store();
        let page = store.query(View::Conversations, &QueryBody::default(), 1000).unwrap();
        assert_eq!(page.total, 12);
        // Default order: firstMessageTime desc, then id desc (r11 and r01 share an instant).
        let order: Vec<&str> = page.rows.iter().map(|r| r["id"].as_str().unwrap()).collect();
        assert_eq!(
            order,
            ["r10", "r09", "r08", "r02", "r03", "r11", "r01", "r07", "r06", "r05", "r04", "r12"]
        );
        let r01 = page.rows.iter().find(|r| r["id"] == "r01").unwrap();
        let keys: Vec<&str> = r01.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "id",
                "userMessageCount",
                "organizationId",
                "projectId",
                "integrationId",
                "firstMessageTime",
                "type",
                "properties",
                "userProperties"
            ]
        );
        assert_eq!(r01["userMessageCount"], json!(3));
        assert_eq!(r01["firstMessageTime"], json!("2024-02-29T10:15:30.250Z"));
        assert_eq!(r01["properties"]["browser"], json!({"name": "Firefox", "version": 120}));
        assert_eq!(
            r01["userProperties"],
            json!({"id":"u1","identificationType":"COOKIED","userType":"customer"})
        );
        let r04 = page.rows.iter().find(|r| r["id"] == "r04").unwrap();
        assert_eq!(r04["properties"], Value::Null);
        assert_eq!(r04["integrationId"], Value::Null);
        assert_eq!(r04["type"], Value::Null);
    }

    #[test]
    fn total_is_independent_of_the_page_size() {
        let store = store();
        let page = store.query(View::Conversations, &QueryBody::default(), 5).unwrap();
        assert_eq!((page.rows.len(), page.total), (5, 12));
        let page = store.query(View::Conversations, &QueryBody::default(), 0).unwrap();
        assert_eq!((page.rows.len(), page.total), (0, 12));
        let filtered = body(json!({"where": cond("type", "eq", json!("openai"))}));
        let page = store.query(View::Conversations, &filtered, 2).unwrap();
        assert_eq!((page.rows.len(), page.total), (2, 5));
        let grouped = body(json!({
            "select": [{"type": "time", "timeUnit": "day"}, {"type": "aggregation", "aggregation": "count"}],
            "groupBy": [{"field": "type"}]
        }));
        let page = store.query(View::Conversations, &grouped, 3).unwrap();
        assert_eq!((page.rows.len(), page.total), (3, 11));
        let count_only = body(json!({"select": [{"type": "aggregation", "aggregation": "count"}]}));
        let page = store.query(View::Conversations, &count_only, 10).unwrap();
        assert_eq!(page.rows, vec![json!({"count": 12}).as_object().unwrap().clone()]);
        assert_eq!(page.total, 1);
        // Aggregates over no rows: still one row (PostgreSQL), count 0, sum null.
        let none = body(json!({
            "select": [{"type": "aggregation", "aggregation": "count"},
                       {"type": "aggregation", "aggregation": "sum", "field": "userMessageCount"}],
            "where": cond("id", "eq", json!("nope"))
        }));
        let page = store.query(View::Conversations, &none, 10).unwrap();
        assert_eq!(rows_to_values(page.rows), vec![json!({"count": 0, "sum_userMessageCount": null})]);
        assert_eq!(page.total, 1);
    }

    #[test]
    fn unpacked_and_json_mode_selections() {
        let store = store();
        let result = rows(
            &store,
            json!({
                "select": [{"type": "field", "field": "id"}, {"type": "field", "field": "properties"}],
                "where": cond("id", "in", json!(["r02", "r08", "r10", "r04"])),
                "orderBy": [{"field": "id", "direction": "asc"}]
            }),
        );
        // Keys: the union over the page, first seen first; null where a row lacks one.
        assert_eq!(
            result,
            vec![
                json!({"id": "r02", "properties.source": "slack", "properties.tags": ["api"],
                       "properties.resolved": false, "properties.csat": 3}),
                json!({"id": "r04", "properties.source": null, "properties.tags": null,
                       "properties.resolved": null, "properties.csat": null}),
                json!({"id": "r08", "properties.source": null, "properties.tags": null,
                       "properties.resolved": null, "properties.csat": null}),
                json!({"id": "r10", "properties.source": null, "properties.tags": "billing",
                       "properties.resolved": null, "properties.csat": null}),
            ]
        );
        let key_order: Vec<&str> = result[0].as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(
            key_order,
            ["id", "properties.source", "properties.tags", "properties.resolved", "properties.csat"]
        );

        let result = rows(
            &store,
            json!({
                "select": [{"type": "field", "field": "id"},
                           {"type": "field", "field": "properties", "mode": "json"}],
                "where": cond("id", "in", json!(["r02", "r04", "r08"])),
                "orderBy": [{"field": "id", "direction": "asc"}]
            }),
        );
        assert_eq!(
            result,
            vec![
                json!({"id": "r02", "properties": r#"{"source":"slack","tags":["api"],"resolved":false,"csat":3}"#}),
                json!({"id": "r04", "properties": null}),
                json!({"id": "r08", "properties": "{}"}),
            ]
        );
    }

    #[test]
    fn unpacked_keys_do_not_shadow_an_explicit_path_column() {
        let store = store();
        let result = rows(
            &store,
            json!({
                "select": [{"type": "field", "field": "properties", "path": ["source"]},
                           {"type": "field", "field": "properties"}],
                "where": cond("id", "eq", json!("r02")),
            }),
        );
        assert_eq!(
            result,
            vec![json!({"properties.source": "slack", "properties.tags": ["api"],
                        "properties.resolved": false, "properties.csat": 3})]
        );
    }

    #[test]
    fn the_day_by_type_query_reads_the_bucket_index_without_sorting_rows() {
        let store = store();
        let compiled = sql::compile_query(View::Conversations, &body(json!({
            "select": [{"type": "time", "timeUnit": "day"}, {"type": "aggregation", "aggregation": "count"}],
            "groupBy": [{"field": "type"}]
        })))
        .unwrap();
        let lease = store.pool.lease().unwrap();
        let conn = lease.conn.as_ref().unwrap();
        let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {}", compiled.sql)).unwrap();
        let plan: Vec<String> = stmt
            .query_map(params_from_iter(compiled.params.iter()), |row| row.get::<_, String>(3))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert!(plan.iter().any(|step| step.contains("conversations_day_type")), "{plan:?}");
        assert!(!plan.iter().any(|step| step.contains("GROUP BY")), "{plan:?}");
    }

    #[test]
    fn export_csv_writes_rfc4180_with_unpacked_columns_over_the_whole_result() {
        let store = store();
        let export = |query: Value| {
            let mut out = Vec::new();
            let count = store
                .export_csv(View::Conversations, &body(query), &mut |chunk| {
                    out.extend_from_slice(chunk);
                    Ok(())
                })
                .unwrap();
            (count, String::from_utf8(out).unwrap())
        };
        let (count, text) = export(json!({
            "select": [{"type": "field", "field": "id"}, {"type": "field", "field": "type"},
                       {"type": "field", "field": "userMessageCount"}, {"type": "field", "field": "properties"}],
            "where": cond("id", "in", json!(["r02", "r08", "r10"])),
            "orderBy": [{"field": "id", "direction": "asc"}]
        }));
        assert_eq!(count, 3);
        assert_eq!(
            text,
            "id,type,userMessageCount,properties.source,properties.tags,properties.resolved,properties.csat\r\n\
             r02,support_ticket,1,slack,\"[\"\"api\"\"]\",false,3\r\n\
             r08,openai,10,,,,\r\n\
             r10,,6,,billing,,\r\n"
        );
        let (_, text) = export(json!({
            "select": [{"type": "field", "field": "id"}, {"type": "field", "field": "properties", "mode": "json"},
                       {"type": "field", "field": "properties", "path": ["browser"]},
                       {"type": "field", "field": "properties", "path": ["articles"]}],
            "where": cond("id", "in", json!(["r01", "r04"])),
            "orderBy": [{"field": "id", "direction": "asc"}]
        }));
        let r01 = fixture::ROWS[0].7.unwrap().replace('"', "\"\"");
        assert_eq!(
            text,
            format!(
                "id,properties,properties.browser,properties.articles\r\n\
                 r01,\"{r01}\",\"{{\"\"name\"\":\"\"Firefox\"\",\"\"version\"\":120}}\",\
                 \"[{{\"\"title\"\":\"\"Pricing\"\",\"\"score\"\":0.9}},{{\"\"title\"\":\"\"Login\"\",\"\"score\"\":0.4}}]\"\r\n\
                 r04,,,\r\n"
            )
        );
        let (count, text) = export(json!({
            "select": [{"type": "time", "timeUnit": "month"}, {"type": "aggregation", "aggregation": "count"},
                       {"type": "aggregation", "aggregation": "avg", "field": "userMessageCount"}]
        }));
        assert_eq!(count, 5);
        assert_eq!(
            text,
            format!(
                "firstMessageTime_month,count,avg_userMessageCount\r\n\
                 2021-01-01T00:00:00Z,1,8.0\r\n\
                 2023-12-01T00:00:00Z,1,2.0\r\n\
                 2024-01-01T00:00:00Z,3,{}\r\n\
                 2024-02-01T00:00:00Z,3,{}\r\n\
                 2024-03-01T00:00:00Z,4,4.75\r\n",
                json!(10.0 / 3.0),
                json!(11.0 / 3.0)
            )
        );
        // Raw rows: every field, JSON fields as compact JSON text; parses back exactly.
        let (count, text) = export(json!({}));
        assert_eq!(count, 12);
        let mut reader = csv::ReaderBuilder::new().from_reader(text.as_bytes());
        let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_string).collect();
        assert_eq!(header[7], "properties");
        let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        let r12 = records.iter().find(|r| &r[0] == "r12").unwrap();
        assert_eq!(&r12[5], "2021-01-03T08:00:00.000Z");
        assert_eq!(
            serde_json::from_str::<Value>(&r12[7]).unwrap(),
            serde_json::from_str::<Value>(fixture::ROWS[11].7.unwrap()).unwrap()
        );
        let r04 = records.iter().find(|r| &r[0] == "r04").unwrap();
        assert_eq!((&r04[4], &r04[6], &r04[7]), ("", "", ""));

        // A one-column row holding null is `""`, not an empty line a CSV reader would skip.
        let (count, text) = export(json!({
            "select": [{"type": "field", "field": "integrationId"}],
            "where": cond("id", "in", json!(["r04", "r10"])),
            "orderBy": [{"field": "integrationId", "direction": "asc"}]
        }));
        assert_eq!(count, 2);
        let reader_rows = csv::ReaderBuilder::new().from_reader(text.as_bytes()).records().count();
        assert_eq!(reader_rows, 2, "{text:?}");

        // Unpacking a field no row has keys in keeps it as one empty column under its name,
        // so the header is not an empty line (found by tests/demo_props.rs).
        let (count, text) = export(json!({
            "select": [{"type": "field", "field": "properties"}],
            "where": cond_no_value("properties", "isNull"),
        }));
        assert!(count > 0);
        assert!(text.starts_with("properties\r\n"), "{text:?}");
        let mut reader = csv::ReaderBuilder::new().from_reader(text.as_bytes());
        assert_eq!(reader.headers().unwrap().iter().collect::<Vec<_>>(), ["properties"]);
        assert_eq!(reader.records().count() as u64, count, "{text:?}");
    }

    #[test]
    fn export_streams_in_chunks_and_stops_when_the_sink_fails() {
        let row_count = 3000;
        let store = DemoStore::from_setup(|conn| {
            conn.execute_batch(fixture::SCHEMA)?;
            let mut stmt = conn.prepare(
                "INSERT INTO conversations VALUES (?1, 1, 'o', 'p', NULL, '2024-01-01T00:00:00.000Z', 1704067200, \
                 'openai', ?2, NULL)",
            )?;
            for i in 0..row_count {
                let props = json!({"text": format!("row {i} with \"quotes\", commas and\nnewlines"), "n": i});
                stmt.execute(rusqlite::params![format!("id{i:05}"), props.to_string()])?;
            }
            Ok(())
        })
        .unwrap();
        let query = body(
            json!({"select": [{"type": "field", "field": "id"}, {"type": "field", "field": "properties"}]}),
        );
        let mut chunks: Vec<usize> = Vec::new();
        let mut out = Vec::new();
        let count = store
            .export_csv(View::Conversations, &query, &mut |chunk| {
                chunks.push(chunk.len());
                out.extend_from_slice(chunk);
                Ok(())
            })
            .unwrap();
        assert_eq!(count, row_count);
        assert!(chunks.len() > 2, "{chunks:?}");
        assert!(chunks.iter().all(|&len| len <= EXPORT_CHUNK_BYTES + 1024), "{chunks:?}");
        let mut reader = csv::ReaderBuilder::new().from_reader(out.as_slice());
        assert_eq!(
            reader.headers().unwrap().iter().collect::<Vec<_>>(),
            ["id", "properties.text", "properties.n"]
        );
        let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        assert_eq!(records.len(), row_count as usize);
        // Default order: id desc at equal times.
        assert_eq!(&records[0][0], "id02999");
        assert_eq!(&records[0][1], "row 2999 with \"quotes\", commas and\nnewlines");
        assert_eq!(&records[0][2], "2999");

        let mut calls = 0;
        let err = store
            .export_csv(View::Conversations, &query, &mut |_| {
                calls += 1;
                Err(std::io::Error::new(std::io::ErrorKind::BrokenPipe, "client went away"))
            })
            .unwrap_err();
        assert!(matches!(err, StoreError::SinkFailed(_)), "{err}");
        assert!(!err.is_invalid_query());
        assert_eq!(calls, 1);
    }

    #[test]
    fn property_keys_and_values() {
        let store = store();
        assert_eq!(
            store.property_keys(Field::Properties, &[View::Conversations], None).unwrap(),
            [
                "a.b",
                "articles",
                "back\\slash",
                "browser",
                "csat",
                "language",
                "nested",
                "resolved",
                "semi;colon",
                "source",
                "tags",
                "unicode ключ",
                "weird \"key\""
            ]
        );
        // Cached the second time, same answer.
        assert_eq!(store.property_keys(Field::Properties, &[View::Conversations], None).unwrap().len(), 13);
        let tickets: Filter = serde_json::from_value(cond("type", "eq", json!("support_ticket"))).unwrap();
        assert_eq!(
            store.property_keys(Field::Properties, &[View::Conversations], Some(&tickets)).unwrap(),
            ["articles", "csat", "nested", "resolved", "source", "tags"]
        );
        assert_eq!(
            store.property_keys(Field::UserProperties, &[View::Conversations], None).unwrap(),
            ["id", "identificationType", "supportAgentName", "userId", "userType"]
        );
        assert!(
            store.property_keys(Field::Type, &[View::Conversations], None).unwrap_err().is_invalid_query()
        );

        assert_eq!(
            store.property_values(Field::Properties, "source", &[View::Conversations], None, 10).unwrap(),
            ["widget", "slack", "api", "discord", "zendesk"]
        );
        assert_eq!(
            store.property_values(Field::Properties, "source", &[View::Conversations], None, 2).unwrap(),
            ["widget", "slack"]
        );
        assert_eq!(
            store.property_values(Field::Properties, "csat", &[View::Conversations], None, 10).unwrap(),
            ["5", "2", "3", "4.5", "true"]
        );
        assert_eq!(
            store.property_values(Field::Properties, "tags", &[View::Conversations], None, 10).unwrap(),
            [
                r#"["api"]"#,
                r#"["billing","auth"]"#,
                r#"["bug","billing"]"#,
                r#"["pricing",["nested"]]"#,
                "[]",
                "billing"
            ]
        );
        let customers: Filter = serde_json::from_value(cond(
            "userProperties",
            "eq",
            json!({"path": ["userType"], "value": "customer"}),
        ))
        .unwrap();
        assert_eq!(
            store
                .property_values(
                    Field::UserProperties,
                    "userId",
                    &[View::Conversations],
                    Some(&customers),
                    10
                )
                .unwrap(),
            ["alice", "bob", "carol"]
        );
        assert_eq!(
            store
                .property_values(Field::Properties, "weird \"key\"", &[View::Conversations], None, 10)
                .unwrap(),
            ["v1"]
        );
        assert_eq!(
            store.property_values(Field::Properties, "nope", &[View::Conversations], None, 10).unwrap(),
            Vec::<String>::new()
        );
        let bad: Filter = serde_json::from_value(cond("type", "jsonHasKey", json!("x"))).unwrap();
        assert!(
            store
                .property_values(Field::Properties, "source", &[View::Conversations], Some(&bad), 10)
                .unwrap_err()
                .is_invalid_query()
        );
    }

    #[test]
    fn concurrent_queries_from_many_threads_agree_with_sequential_ones() {
        let store = Arc::new(store());
        let queries = vec![
            json!({}),
            json!({"select": [{"type": "time", "timeUnit": "week"}, {"type": "aggregation", "aggregation": "count"}],
                   "groupBy": [{"field": "type"}]}),
            json!({"where": cond("properties", "jsonContains", json!({"tags": ["billing"]}))}),
            json!({"select": [{"type": "field", "field": "properties"}],
                   "orderBy": [{"field": "properties.csat", "direction": "desc"}]}),
        ];
        let expected: Vec<QueryPage> = queries
            .iter()
            .map(|q| store.query(View::Conversations, &body(q.clone()), 100).unwrap())
            .collect();
        let threads: Vec<_> = (0..12)
            .map(|t| {
                let store = Arc::clone(&store);
                let queries = queries.clone();
                let expected = expected.clone();
                std::thread::spawn(move || {
                    for round in 0..10 {
                        let i = (t + round) % queries.len();
                        let page = store.query(View::Conversations, &body(queries[i].clone()), 100).unwrap();
                        assert_eq!(page, expected[i]);
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        assert!(store.pool.lock().open_count <= MAX_CONNECTIONS);
    }

    fn small_params(seed: u64) -> DatasetParams {
        DatasetParams { rows: 1500, seed, end_date: jiff::civil::Date::constant(2024, 3, 31) }
    }

    #[test]
    fn generated_dataset_buckets_match_an_independent_computation() {
        use jiff::civil::Time;
        use jiff::tz::Offset;
        let params = small_params(7);
        let store = DemoStore::open(&params, None).unwrap();
        let conversations: Vec<_> = dataset::generate(&params).collect();
        assert_eq!(
            store.query(View::Conversations, &QueryBody::default(), 1).unwrap().total,
            conversations.len() as u64
        );
        for unit in ["hour", "day", "week", "month"] {
            let mut expected: std::collections::BTreeMap<(String, String), i64> = Default::default();
            for c in &conversations {
                let t = Offset::UTC.to_datetime(c.first_message_time);
                let start = match unit {
                    "hour" => t.date().at(t.hour(), 0, 0, 0),
                    "day" => t.date().to_datetime(Time::midnight()),
                    "week" => (t.date()
                        - jiff::Span::new().days(i64::from(t.weekday().to_monday_zero_offset())))
                    .to_datetime(Time::midnight()),
                    _ => t.date().first_of_month().to_datetime(Time::midnight()),
                };
                let key = (
                    start.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
                    c.conversation_type.unwrap_or("~null").to_string(),
                );
                *expected.entry(key).or_default() += 1;
            }
            let page = store
                .query(
                    View::Conversations,
                    &body(json!({"select": [{"type": "time", "timeUnit": unit},
                                            {"type": "aggregation", "aggregation": "count"}],
                                 "groupBy": [{"field": "type"}]})),
                    100_000,
                )
                .unwrap();
            let name = format!("firstMessageTime_{unit}");
            let actual: Vec<((String, String), i64)> = page
                .rows
                .iter()
                .map(|r| {
                    let kind = r["type"].as_str().unwrap_or("~null").to_string();
                    ((r[&name].as_str().unwrap().to_string(), kind), r["count"].as_i64().unwrap())
                })
                .collect();
            // The store's order (bucket asc, type asc with nulls last) is the BTreeMap's,
            // as "~null" sorts after every type name.
            assert_eq!(actual, expected.into_iter().collect::<Vec<_>>(), "{unit}");
            assert_eq!(page.total as usize, actual.len());
        }
    }

    #[test]
    fn open_on_disk_reuses_a_matching_file_and_rebuilds_otherwise() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("demo.sqlite");
        std::fs::write(&path, b"not a database").unwrap();
        let first_id = |store: &DemoStore| {
            let page = store
                .query(
                    View::Conversations,
                    &body(json!({"select": [{"type": "field", "field": "id"}],
                                    "orderBy": [{"field": "id", "direction": "asc"}]})),
                    1,
                )
                .unwrap();
            (page.rows[0]["id"].clone(), page.total)
        };
        let store = DemoStore::open(&small_params(1), Some(&path)).unwrap();
        let built = first_id(&store);
        assert_eq!(built.1, 1500);
        drop(store);
        let modified = std::fs::metadata(&path).unwrap().modified().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        let store = DemoStore::open(&small_params(1), Some(&path)).unwrap();
        assert_eq!(first_id(&store), built);
        assert_eq!(std::fs::metadata(&path).unwrap().modified().unwrap(), modified);
        drop(store);
        let store = DemoStore::open(&small_params(2), Some(&path)).unwrap();
        let rebuilt = first_id(&store);
        assert_eq!(rebuilt.1, 1500);
        assert_ne!(rebuilt.0, built.0);
        // No temporary files left beside it.
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, vec![std::ffi::OsString::from("demo.sqlite")]);
    }

    #[test]
    fn the_two_stages_hold_together_what_one_load_holds() {
        let params = small_params(11);
        let all = DemoStore::open(&params, None).unwrap();
        let conversations = DemoStore::open_tables(&params, dataset::Tables::Conversations).unwrap();
        let activity = DemoStore::open_tables(&params, dataset::Tables::Activity).unwrap();
        let total =
            |store: &DemoStore, view: View| store.query(view, &QueryBody::default(), 1).unwrap().total;
        assert_eq!(total(&conversations, View::Conversations), params.rows);
        assert_eq!(total(&activity, View::Conversations), 0);
        for view in [View::Events, View::Feedback, View::SemanticThreads] {
            assert!(total(&all, view) > 0, "{view}");
            assert_eq!(total(&activity, view), total(&all, view), "{view}");
            assert_eq!(total(&conversations, view), 0, "{view}");
        }
        let first_rows =
            |store: &DemoStore| store.query(View::SemanticThreads, &QueryBody::default(), 50).unwrap().rows;
        assert_eq!(first_rows(&activity), first_rows(&all), "the same rows, not just as many");
    }

    #[test]
    fn stores_are_independent_in_memory_databases() {
        let a = store();
        let b = DemoStore::from_setup(|conn| conn.execute_batch(fixture::SCHEMA)).unwrap();
        assert_eq!(a.query(View::Conversations, &QueryBody::default(), 1).unwrap().total, 12);
        assert_eq!(b.query(View::Conversations, &QueryBody::default(), 1).unwrap().total, 0);
    }
}
