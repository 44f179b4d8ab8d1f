//! Small helpers shared by the table modules.

use crate::{Result, Store, StoreError};
use rusqlite::types::Type;
use rusqlite::{Connection, Row, RowIndex};
use serde::Serialize;
use serde::de::DeserializeOwned;
use time::OffsetDateTime;
use time::macros::format_description;

/// Now, as stored: RFC 3339, UTC, milliseconds, `Z` suffix (sorts as text).
pub fn now() -> String {
    let format =
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
    OffsetDateTime::now_utc()
        .format(&format)
        .expect("a UTC date always formats")
}

/// A stored value this build cannot read back (e.g. an unknown status).
#[derive(Debug)]
pub(crate) struct BadValue(pub String);

impl std::fmt::Display for BadValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BadValue {}

/// A column value this build cannot read back; `column` is its index or name.
pub(crate) fn bad_value(row: &Row<'_>, column: impl ColumnRef, what: String) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        column.index_in(row),
        Type::Text,
        Box::new(BadValue(what)),
    )
}

/// A column given by index or by name.
pub(crate) trait ColumnRef: RowIndex + Copy {
    /// Its index, for error reports.
    fn index_in(self, row: &Row<'_>) -> usize;
}

impl ColumnRef for usize {
    fn index_in(self, _: &Row<'_>) -> usize {
        self
    }
}

impl ColumnRef for &str {
    fn index_in(self, row: &Row<'_>) -> usize {
        row.as_ref().column_index(self).unwrap_or_default()
    }
}

pub(crate) fn to_json<T: Serialize + ?Sized>(value: &T) -> Result<String> {
    serde_json::to_string(value)
        .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)).into())
}

/// Reads a JSON text column into `T`.
pub(crate) fn json_col<T: DeserializeOwned>(
    row: &Row<'_>,
    column: impl ColumnRef,
) -> rusqlite::Result<T> {
    let text: String = row.get(column)?;
    serde_json::from_str(&text).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(column.index_in(row), Type::Text, Box::new(e))
    })
}

/// Reads a nullable JSON text column into `Option<T>`.
pub(crate) fn json_col_opt<T: DeserializeOwned>(
    row: &Row<'_>,
    idx: usize,
) -> rusqlite::Result<Option<T>> {
    let text: Option<String> = row.get(idx)?;
    text.map(|t| {
        serde_json::from_str(&t)
            .map_err(|e| rusqlite::Error::FromSqlConversionFailure(idx, Type::Text, Box::new(e)))
    })
    .transpose()
}

pub(crate) fn not_found(what: impl Into<String>) -> crate::StoreError {
    crate::StoreError::NotFound { what: what.into() }
}

/// Ends the transaction it guards: rolls back unless committed, also when `f` panics.
struct Open<'a> {
    conn: &'a Connection,
    done: bool,
}

impl Open<'_> {
    /// BEGIN, COMMIT and ROLLBACK are cached statements: parsing them anew on every
    /// call was a tenth of the CPU time of a busy run.
    fn begin<'a>(conn: &'a Connection, sql: &str) -> Result<Open<'a>> {
        conn.prepare_cached(sql)?.execute([])?;
        Ok(Open { conn, done: false })
    }

    fn commit(mut self) -> Result<()> {
        self.conn.prepare_cached("COMMIT")?.execute([])?;
        self.done = true;
        Ok(())
    }
}

impl Drop for Open<'_> {
    fn drop(&mut self) {
        if !self.done && !self.conn.is_autocommit() {
            // Best effort: if this fails, the next BEGIN reports the open transaction.
            let _ = self
                .conn
                .prepare_cached("ROLLBACK")
                .and_then(|mut s| s.execute([]));
        }
    }
}

impl Store {
    /// Runs `f` in an IMMEDIATE transaction: writers take the lock up front, so a
    /// second process waits (busy_timeout) instead of failing on lock upgrade.
    /// A library opened read-only refuses at once; a lock held past the busy timeout, a
    /// full disk or a read-only file come back as [`StoreError::Locked`],
    /// [`StoreError::Full`] and [`StoreError::ReadOnly`].
    pub(crate) fn write<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        if self.read_only {
            return Err(StoreError::ReadOnly {
                path: self.path.clone(),
                cause: "it was opened for reading only".into(),
            });
        }
        let attempt = || {
            let open = Open::begin(&self.conn, "BEGIN IMMEDIATE")?;
            let value = f(&self.conn)?;
            open.commit()?;
            Ok(value)
        };
        attempt().map_err(|e| self.explain(e))
    }

    /// Runs `f` in a read transaction, so multi-query reads see one snapshot.
    pub(crate) fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let attempt = || {
            let open = Open::begin(&self.conn, "BEGIN DEFERRED")?;
            let value = f(&self.conn)?;
            open.commit()?;
            Ok(value)
        };
        attempt().map_err(|e| self.explain(e))
    }

    /// An SQLite failure in words when it is about the library's file (see
    /// [`crate::schema::explain`]).
    fn explain(&self, e: StoreError) -> StoreError {
        match e {
            StoreError::Sqlite(e) => crate::schema::explain(Some(&self.conn), &self.path, e),
            other => other,
        }
    }
}
