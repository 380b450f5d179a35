//! The demo dataset in SQLite: the schema, the bulk load (indexes built afterwards), and
//! the `demo_meta` check that a database kept with `--db FILE` holds exactly this dataset.
//! The tables of the other views are in `sqlite_views`; one load fills all four.

use std::sync::mpsc;

use rusqlite::{Connection, Transaction, params};

use super::sqlite_views::{INDEXES_SQL, PreparedRow, RowInserter, SCHEMA_SQL, Table, prepare_rows};
use super::{Activity, Conversation, DatasetParams, GENERATOR_VERSION, generate, generate_with_activity};

/// Creates the `conversations`, `events`, `feedback`, `semantic_threads` and `demo_meta`
/// tables (without the secondary indexes, which [`populate`] builds after the bulk insert).
/// Existing tables are left as they are.
///
/// `properties_source` is a virtual generated column (the string at `properties.source`,
/// NULL when that is missing or not a string; computed when read, stored only in its index)
/// for queries that filter on that key.
pub fn create_schema(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(SCHEMA_SQL)?;
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS conversations (
            id TEXT NOT NULL PRIMARY KEY,
            userMessageCount INTEGER NOT NULL,
            organizationId TEXT NOT NULL,
            projectId TEXT NOT NULL,
            integrationId TEXT,
            firstMessageTime TEXT NOT NULL,
            firstMessageEpoch INTEGER NOT NULL,
            type TEXT,
            properties TEXT,
            userProperties TEXT,
            properties_source TEXT GENERATED ALWAYS AS (CASE json_type(properties, '$.source') WHEN 'text' THEN properties ->> '$.source' END) VIRTUAL
        );
        CREATE TABLE IF NOT EXISTS demo_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);",
    )
}

/// Creates the secondary indexes the common queries use (time ranges and buckets, by type,
/// `properties_source`) on every table.
pub fn create_indexes(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(INDEXES_SQL)?;
    conn.execute_batch(
        "CREATE INDEX IF NOT EXISTS conversations_first_message_epoch
            ON conversations (firstMessageEpoch);
        CREATE INDEX IF NOT EXISTS conversations_first_message_time
            ON conversations (firstMessageTime);
        CREATE INDEX IF NOT EXISTS conversations_type_epoch
            ON conversations (type, firstMessageEpoch);
        CREATE INDEX IF NOT EXISTS conversations_properties_source
            ON conversations (properties_source, firstMessageEpoch);",
    )
}

/// Replaces any dataset in `conn` with the one `params` describe: creates the schema, inserts
/// every conversation in one transaction with a prepared statement, then builds the indexes
/// and writes the `demo_meta` rows, and commits.
///
/// The load runs with the rollback journal and syncing off (restored afterwards), which is
/// what makes it fast and is safe only because the data can always be generated again: if
/// this fails, or the process dies during it, discard the database file rather than reuse it.
pub fn populate(conn: &mut Connection, params: &DatasetParams) -> rusqlite::Result<()> {
    populate_tables(conn, params, Tables::All)
}

/// Which tables a load fills (every table is created; the others stay empty).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tables {
    /// All four views.
    All,
    /// The conversations alone: about a twentieth of the work, so the embedded API can
    /// answer conversations while the other views are still loading.
    Conversations,
    /// Events, feedback and semantic threads, without the conversations.
    Activity,
}

/// [`populate`] restricted to some of the tables.
pub fn populate_tables(
    conn: &mut Connection,
    params: &DatasetParams,
    tables: Tables,
) -> rusqlite::Result<()> {
    let journal_mode: String = conn.pragma_query_value(None, "journal_mode", |row| row.get(0))?;
    let synchronous: i64 = conn.pragma_query_value(None, "synchronous", |row| row.get(0))?;
    let cache_size: i64 = conn.pragma_query_value(None, "cache_size", |row| row.get(0))?;
    // Larger pages load and scan faster; SQLite ignores this unless the database is empty.
    conn.pragma_update(None, "page_size", 16_384)?;
    conn.pragma_update(None, "journal_mode", "OFF")?;
    conn.pragma_update(None, "synchronous", "OFF")?;
    // The index builds sort in cache-sized runs; a large cache keeps them from spilling to
    // temporary files. Negative means KiB, so up to 128 MiB while loading.
    conn.pragma_update(None, "cache_size", -131_072)?;
    let loaded = load(conn, params, tables);
    let restored = conn
        .pragma_update(None, "journal_mode", &journal_mode)
        .and_then(|()| conn.pragma_update(None, "synchronous", synchronous))
        .and_then(|()| conn.pragma_update(None, "cache_size", cache_size));
    loaded.and(restored)
}

/// True if `conn` already holds a complete dataset made with exactly `params` and the current
/// [`GENERATOR_VERSION`] (so a database kept with `--db FILE` can be reused as it is).
pub fn matches_params(conn: &Connection, params: &DatasetParams) -> rusqlite::Result<bool> {
    let table_count: i64 = conn.query_row(
        "SELECT count(*) FROM sqlite_master
         WHERE type = 'table'
           AND name IN ('conversations', 'events', 'feedback', 'semantic_threads', 'demo_meta')",
        [],
        |row| row.get(0),
    )?;
    if table_count != 5 {
        return Ok(false);
    }
    let mut stmt = conn.prepare("SELECT value FROM demo_meta WHERE key = ?1")?;
    for (key, expected) in meta_rows(params) {
        let mut rows = stmt.query([key])?;
        let stored: Option<String> = match rows.next()? {
            Some(row) => row.get(0)?,
            None => None,
        };
        if stored.as_deref() != Some(expected.as_str()) {
            return Ok(false);
        }
    }
    // The meta rows are committed together with the data, so this is a cheap second check
    // against a file that was modified by hand.
    let row_count: i64 = conn.query_row("SELECT count(*) FROM conversations", [], |row| row.get(0))?;
    Ok(u64::try_from(row_count).ok() == Some(params.rows))
}

/// The `demo_meta` rows describing a dataset.
fn meta_rows(params: &DatasetParams) -> [(&'static str, String); 4] {
    [
        ("rows", params.rows.to_string()),
        ("seed", params.seed.to_string()),
        ("end_date", params.end_date.strftime("%Y-%m-%d").to_string()),
        ("generator_version", GENERATOR_VERSION.to_string()),
    ]
}

fn load(conn: &mut Connection, params: &DatasetParams, tables: Tables) -> rusqlite::Result<()> {
    let tx = conn.transaction()?;
    tx.execute_batch(
        "DROP TABLE IF EXISTS demo_meta; DROP TABLE IF EXISTS conversations; DROP TABLE IF EXISTS events;
         DROP TABLE IF EXISTS feedback; DROP TABLE IF EXISTS semantic_threads;",
    )?;
    create_schema(&tx)?;
    insert_rows(&tx, params, tables)?;
    create_indexes(&tx)?;
    {
        let mut insert_meta = tx.prepare("INSERT INTO demo_meta (key, value) VALUES (?1, ?2)")?;
        for (key, value) in meta_rows(params) {
            insert_meta.execute(params![key, value])?;
        }
    }
    tx.commit()
}

/// Conversations prepared per batch handed from the generating thread to the inserting one.
const BATCH_CONVERSATIONS: usize = 512;

/// Inserts every row of the dataset. A second thread generates the rows and formats their
/// values (about half of the work) while this one inserts, in generation order.
fn insert_rows(tx: &Transaction<'_>, params: &DatasetParams, tables: Tables) -> rusqlite::Result<()> {
    let mut inserter = RowInserter::new(tx)?;
    std::thread::scope(|scope| {
        // A few batches in flight keep both threads busy without buffering the dataset.
        let (sender, receiver) = mpsc::sync_channel::<rusqlite::Result<Vec<PreparedRow>>>(4);
        scope.spawn(move || {
            let mut batch = Vec::new();
            let rows: Box<dyn Iterator<Item = (Conversation, Activity)>> = match tables {
                // Without its activity, a conversation is generated alone (no activity is drawn).
                Tables::Conversations => {
                    Box::new(generate(params).map(|conversation| (conversation, Activity::default())))
                }
                Tables::All | Tables::Activity => Box::new(generate_with_activity(params)),
            };
            for (index, (conversation, activity)) in rows.enumerate() {
                if let Err(error) = prepare_rows(&conversation, &activity, &mut batch) {
                    // The receiver stops at the first error; nothing more to do.
                    let _ = sender.send(Err(error));
                    return;
                }
                if (index + 1) % BATCH_CONVERSATIONS == 0
                    && sender.send(Ok(std::mem::take(&mut batch))).is_err()
                {
                    // The inserting side failed and hung up.
                    return;
                }
            }
            if !batch.is_empty() {
                let _ = sender.send(Ok(batch));
            }
        });
        for batch in receiver {
            for row in &batch? {
                if tables == Tables::Activity && row.0 == Table::Conversations {
                    continue;
                }
                inserter.insert(row)?;
            }
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use jiff::Timestamp;
    use jiff::civil::Date;
    use serde_json::Value;

    use super::*;
    use crate::demo::dataset::generate;
    use crate::demo::dataset::tests::{params, rows};

    fn column_strings(conn: &Connection, sql: &str) -> Vec<Option<String>> {
        let mut stmt = conn.prepare(sql).unwrap();
        stmt.query_map([], |row| row.get(0)).unwrap().collect::<Result<_, _>>().unwrap()
    }

    #[test]
    fn populate_stores_the_generated_rows_and_matches_params_round_trips() {
        let p = params(5_000);
        let mut conn = Connection::open_in_memory().unwrap();
        assert!(!matches_params(&conn, &p).unwrap());
        let journal_before: String = conn.pragma_query_value(None, "journal_mode", |r| r.get(0)).unwrap();
        populate(&mut conn, &p).unwrap();
        let journal_after: String = conn.pragma_query_value(None, "journal_mode", |r| r.get(0)).unwrap();
        assert_eq!(journal_before, journal_after);

        assert!(matches_params(&conn, &p).unwrap());
        assert!(!matches_params(&conn, &DatasetParams { seed: 7, ..p }).unwrap());
        assert!(!matches_params(&conn, &DatasetParams { rows: 4_999, ..p }).unwrap());
        assert!(
            !matches_params(&conn, &DatasetParams { end_date: Date::constant(2025, 7, 1), ..p }).unwrap()
        );

        let expected = rows(5_000);
        let mut stmt = conn
            .prepare(
                "SELECT id, userMessageCount, organizationId, projectId, integrationId, firstMessageTime,
                        firstMessageEpoch, type, properties, userProperties
                 FROM conversations ORDER BY rowid",
            )
            .unwrap();
        let stored: Vec<_> = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, Option<String>>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, i64>(6)?,
                    r.get::<_, Option<String>>(7)?,
                    r.get::<_, Option<String>>(8)?,
                    r.get::<_, Option<String>>(9)?,
                ))
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        drop(stmt);
        assert_eq!(stored.len(), expected.len());
        for (row, c) in stored.iter().zip(&expected) {
            assert_eq!(row.0, c.id);
            assert_eq!(row.1, c.user_message_count);
            assert_eq!((row.2.as_str(), row.3.as_str()), (c.organization_id.as_str(), c.project_id.as_str()));
            assert_eq!(row.4, c.integration_id);
            assert_eq!(row.5, c.first_message_time_string());
            assert_eq!(row.5.parse::<Timestamp>().unwrap().as_second(), row.6);
            assert_eq!(row.7.as_deref(), c.conversation_type);
            assert_eq!(row.8, c.properties_text());
            assert_eq!(row.9, c.user_properties_text());
            let parsed: Option<Value> = row.8.as_deref().map(|t| serde_json::from_str(t).unwrap());
            assert_eq!(parsed, c.properties);
        }

        // SQLite itself reads the text timestamp as the stored epoch, and the JSON as objects.
        let mismatched: i64 = conn
            .query_row(
                "SELECT count(*) FROM conversations
                 WHERE unixepoch(firstMessageTime) IS NOT firstMessageEpoch",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(mismatched, 0);
        let json_objects: i64 = conn
            .query_row("SELECT count(*) FROM conversations WHERE json_type(properties) = 'object'", [], |r| {
                r.get(0)
            })
            .unwrap();
        let non_null: i64 =
            conn.query_row("SELECT count(properties) FROM conversations", [], |r| r.get(0)).unwrap();
        assert_eq!(json_objects, non_null);

        let indexes = column_strings(
            &conn,
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'conversations'
             AND name NOT LIKE 'sqlite_autoindex%' ORDER BY name",
        );
        assert_eq!(indexes.len(), 4, "{indexes:?}");
        let meta = column_strings(&conn, "SELECT key || '=' || value FROM demo_meta ORDER BY key");
        let meta: Vec<String> = meta.into_iter().flatten().collect();
        assert_eq!(meta, ["end_date=2025-06-30", "generator_version=4", "rows=5000", "seed=42"]);

        // Populating again with other params replaces the dataset.
        let smaller = DatasetParams { rows: 300, seed: 9, ..p };
        populate(&mut conn, &smaller).unwrap();
        assert!(matches_params(&conn, &smaller).unwrap());
        assert!(!matches_params(&conn, &p).unwrap());
        let count: i64 = conn.query_row("SELECT count(*) FROM conversations", [], |r| r.get(0)).unwrap();
        assert_eq!(count, 300);
    }

    #[test]
    fn an_incomplete_database_does_not_match() {
        let p = params(200);
        let mut conn = Connection::open_in_memory().unwrap();
        create_schema(&conn).unwrap();
        assert!(!matches_params(&conn, &p).unwrap(), "empty tables");
        populate(&mut conn, &p).unwrap();
        conn.execute("DELETE FROM conversations WHERE rowid = 1", []).unwrap();
        assert!(!matches_params(&conn, &p).unwrap(), "a missing row");
    }

    #[test]
    fn a_file_database_is_reusable() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("demo.sqlite");
        let p = params(1_000);
        {
            let mut conn = Connection::open(&path).unwrap();
            populate(&mut conn, &p).unwrap();
        }
        let conn = Connection::open(&path).unwrap();
        assert!(matches_params(&conn, &p).unwrap());
        let journal: String = conn.pragma_query_value(None, "journal_mode", |r| r.get(0)).unwrap();
        assert_eq!(journal, "delete");
    }

    #[test]
    fn zero_rows_make_an_empty_but_complete_dataset() {
        let p = params(0);
        assert_eq!(generate(&p).count(), 0);
        let mut conn = Connection::open_in_memory().unwrap();
        populate(&mut conn, &p).unwrap();
        assert!(matches_params(&conn, &p).unwrap());
    }
}
