//! Tests of the SQL compiler: the statements it builds (they prepare, bind exactly their
//! parameters, and locate their errors) and their semantics over the fixture table
//! (PostgreSQL's, as `API.md` describes the real service), by topic.

use rusqlite::{Connection, params_from_iter};

use super::{CompiledQuery, register_functions};
use crate::demo::fixture;

mod compile;
mod filters;
mod selections;

fn fixture_conn() -> Connection {
    let mut conn = Connection::open_in_memory().unwrap();
    fixture::setup(&mut conn).unwrap();
    register_functions(&conn).unwrap();
    conn
}

/// Prepares and runs a compiled statement; checks that it binds exactly its parameters.
fn run(conn: &Connection, compiled: &CompiledQuery) -> usize {
    let mut stmt = conn.prepare(&compiled.sql).unwrap_or_else(|e| panic!("{e}: {}", compiled.sql));
    assert_eq!(stmt.parameter_count(), compiled.params.len(), "{}", compiled.sql);
    let mut rows = stmt.query(params_from_iter(compiled.params.iter())).unwrap();
    let mut count = 0;
    while rows.next().unwrap_or_else(|e| panic!("{e}: {}", compiled.sql)).is_some() {
        count += 1;
    }
    count
}
