//! Opening a library file: recognising it, refusing what is not ours, and migrating.
//!
//! Migrations are append-only: never edit a shipped script, add a new one at the end.
//! Migration `n` (1-based) is `MIGRATIONS[n - 1]`; `PRAGMA user_version` holds the
//! number of the last one applied. Each runs in its own IMMEDIATE transaction that
//! re-reads `user_version`, so two processes opening a new file at once apply it once.

use crate::{Result, Store, StoreError};
use rusqlite::config::DbConfig;
use rusqlite::{Connection, ErrorCode, OpenFlags, Transaction, TransactionBehavior};
use std::io::Read;
use std::path::Path;
use std::time::Duration;

const MIGRATIONS: &[&str] = &[
    include_str!("migrations/0001_initial.sql"),
    include_str!("migrations/0002_provider_settings.sql"),
    include_str!("migrations/0003_response_cache.sql"),
    include_str!("migrations/0004_app_settings.sql"),
    include_str!("migrations/0005_prices.sql"),
    include_str!("migrations/0006_variants.sql"),
    include_str!("migrations/0007_run_setups.sql"),
];

const _: () = assert!(MIGRATIONS.len() == Store::SCHEMA_VERSION as usize);

/// Long enough to ride out another process's write, short enough to report a stuck lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// The connection, and whether this call created the library (applied its first
/// migration).
pub(crate) fn open(path: &Path) -> Result<(Connection, bool)> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|source| StoreError::Io {
            path: parent.to_path_buf(),
            source,
        })?;
    }
    check_header(path)?;

    // No URI flag: a path is a path, even if it starts with `file:`.
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags)?;
    // Until the file is accepted, closing must not checkpoint someone else's WAL into it.
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, true)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    // Room for every statement the store runs, so none is parsed twice.
    conn.set_prepared_statement_cache_capacity(64);

    let corrupt = |detail: String| StoreError::Corrupt {
        path: path.to_path_buf(),
        detail,
    };
    let found = inspect(&conn).map_err(|e| match e.sqlite_error_code() {
        Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt) => corrupt(e.to_string()),
        _ => StoreError::Sqlite(e),
    })?;

    match found.application_id {
        Store::APPLICATION_ID => {}
        // A fresh file: nothing in it to lose.
        0 if found.objects == 0 && found.user_version == 0 => {}
        0 => {
            return Err(corrupt(format!(
                "an SQLite database of another application ({} schema objects, user_version {})",
                found.objects, found.user_version
            )));
        }
        other => {
            return Err(corrupt(format!(
                "an SQLite database of another application (application_id {other:#010x})"
            )));
        }
    }
    let version = u32::try_from(found.user_version)
        .map_err(|_| corrupt(format!("invalid schema version {}", found.user_version)))?;
    if version > Store::SCHEMA_VERSION {
        return Err(StoreError::NewerSchema {
            path: path.to_path_buf(),
            found: version,
            supported: Store::SCHEMA_VERSION,
        });
    }

    // Accepted: from here on the file is ours to write.
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, false)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    // NORMAL is durable in WAL mode except for the last commits on power loss.
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", true)?;
    let created = migrate(&conn)?;
    Ok((conn, created))
}

struct Found {
    application_id: i32,
    user_version: i64,
    objects: i64,
}

fn inspect(conn: &Connection) -> rusqlite::Result<Found> {
    let application_id = conn.pragma_query_value(None, "application_id", |r| r.get(0))?;
    let user_version = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    // Reading the schema also makes SQLite parse it, which catches a damaged header.
    let objects = conn.query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))?;
    Ok(Found {
        application_id,
        user_version,
        objects,
    })
}

/// Refuses a non-empty file that does not start with the SQLite header, before
/// SQLite gets a chance to touch it.
fn check_header(path: &Path) -> Result<()> {
    let io = |source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(io(e)),
    };
    let mut head = Vec::with_capacity(SQLITE_MAGIC.len());
    file.take(SQLITE_MAGIC.len() as u64)
        .read_to_end(&mut head)
        .map_err(io)?;
    // An empty file is what SQLite itself creates before the first write.
    if head.is_empty() || head == SQLITE_MAGIC {
        return Ok(());
    }
    let detail = match std::str::from_utf8(&head) {
        Ok(text) if !text.contains('\0') => {
            format!("not an SQLite database: it looks like text starting with {text:?}")
        }
        _ => {
            let hex: Vec<String> = head.iter().take(8).map(|b| format!("{b:02x}")).collect();
            format!(
                "not an SQLite database: it starts with the bytes {} instead of the SQLite header",
                hex.join(" ")
            )
        }
    };
    Err(StoreError::Corrupt {
        path: path.to_path_buf(),
        detail,
    })
}

/// Applies the migrations not applied yet; whether the first one was among them.
fn migrate(conn: &Connection) -> Result<bool> {
    let mut created = false;
    for (i, script) in MIGRATIONS.iter().enumerate() {
        let number = i as u32 + 1;
        let tx = Transaction::new_unchecked(conn, TransactionBehavior::Immediate)?;
        let applied: u32 = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
        if applied >= number {
            continue;
        }
        tx.execute_batch(script)?;
        if number == 1 {
            tx.pragma_update(None, "application_id", Store::APPLICATION_ID)?;
            created = true;
        }
        tx.pragma_update(None, "user_version", number)?;
        tx.commit()?;
    }
    Ok(created)
}
