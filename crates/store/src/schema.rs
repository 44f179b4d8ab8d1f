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
    include_str!("migrations/0007_suites.sql"),
    include_str!("migrations/0008_run_owner.sql"),
    include_str!("migrations/0009_run_setups.sql"),
];

const _: () = assert!(MIGRATIONS.len() == Store::SCHEMA_VERSION as usize);

/// Long enough to ride out another process's write, short enough to report a stuck lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// Opens the library at `path`: the connection, whether it is read-only, and whether
/// this call created the library.
pub(crate) fn open(path: &Path) -> Result<(Connection, bool, bool)> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|source| StoreError::Io {
            path: parent.to_path_buf(),
            source,
        })?;
    }
    let mut created = !path.exists() && create(path)?;
    check_header(path)?;

    let corrupt = |detail: String| StoreError::Corrupt {
        path: path.to_path_buf(),
        detail,
    };
    let (conn, found, read_only) = connect(path).map_err(|failed| {
        let (conn, e) = *failed;
        match e.sqlite_error_code() {
            Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt) => corrupt(e.to_string()),
            _ => explain(conn.as_ref(), path, e),
        }
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
    // An empty file (what SQLite makes before its first write) is a new library too.
    created |= found.objects == 0 && version == 0;
    if read_only {
        if version < Store::SCHEMA_VERSION {
            return Err(StoreError::ReadOnly {
                path: path.to_path_buf(),
                cause: format!(
                    "and it needs upgrading from schema {version} to {}, which writes to it",
                    Store::SCHEMA_VERSION
                ),
            });
        }
        conn.pragma_update(None, "foreign_keys", true)
            .map_err(|e| explain(Some(&conn), path, e))?;
        return Ok((conn, true, false));
    }

    // Accepted: from here on the file is ours to write.
    let setup = || -> rusqlite::Result<()> {
        conn.set_db_config(DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, false)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        // NORMAL is durable in WAL mode except for the last commits on power loss.
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", true)?;
        migrate(&conn, version)
    };
    setup().map_err(|e| explain(Some(&conn), path, e))?;
    Ok((conn, false, created))
}

/// A connection that has read the library's header fields, and whether it can only
/// read. Writable first; a file, folder or disk that refuses writes gets a read-only
/// connection, and one whose folder cannot even hold the WAL index an immutable one.
fn connect(path: &Path) -> std::result::Result<(Connection, Found, bool), Failed> {
    // No URI flag: a path is a path, even if it starts with `file:`.
    let writable = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let first = match attempt(path, writable) {
        Ok((conn, found)) => {
            let read_only = conn.is_readonly(rusqlite::MAIN_DB).unwrap_or(false);
            return Ok((conn, found, read_only));
        }
        Err(failed) => failed,
    };
    if !refuses_writes(first.0.as_ref(), &first.1) {
        return Err(first);
    }
    let read_only = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    if let Ok((conn, found)) = attempt(path, read_only) {
        return Ok((conn, found, true));
    }
    // A WAL library in a folder where its `-shm` file cannot be made: read the file as
    // it is (a library closed cleanly has everything in it).
    match attempt(
        Path::new(&immutable_uri(path)),
        read_only | OpenFlags::SQLITE_OPEN_URI,
    ) {
        Ok((conn, found)) => Ok((conn, found, true)),
        Err(_) => Err(first),
    }
}

/// An open that failed: the error, and the connection it failed on if one was made
/// (SQLite keeps the operating system's error there).
type Failed = Box<(Option<Connection>, rusqlite::Error)>;

type Attempt = std::result::Result<(Connection, Found), Failed>;

fn attempt(path: &Path, flags: OpenFlags) -> Attempt {
    let conn = Connection::open_with_flags(path, flags).map_err(|e| Box::new((None, e)))?;
    let setup = || -> rusqlite::Result<Found> {
        // Until the file is accepted, closing must not checkpoint someone else's WAL into it.
        conn.set_db_config(DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, true)?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        // Room for every statement the store runs, so none is parsed twice.
        conn.set_prepared_statement_cache_capacity(64);
        inspect(&conn)
    };
    match setup() {
        Ok(found) => Ok((conn, found)),
        Err(e) => Err(Box::new((Some(conn), e))),
    }
}

/// Whether `e` says the library cannot be written (rather than read).
fn refuses_writes(conn: Option<&Connection>, e: &rusqlite::Error) -> bool {
    match e.sqlite_error_code() {
        Some(ErrorCode::ReadOnly) => true,
        Some(ErrorCode::CannotOpen | ErrorCode::SystemIoFailure | ErrorCode::PermissionDenied) => {
            matches!(
                conn.and_then(system_error).map(|e| e.kind()),
                Some(std::io::ErrorKind::ReadOnlyFilesystem | std::io::ErrorKind::PermissionDenied)
                    | None
            )
        }
        _ => false,
    }
}

/// `file:` URI of `path` with `immutable=1`: SQLite reads it without locks or a WAL index.
fn immutable_uri(path: &Path) -> String {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let text = absolute.to_string_lossy().replace('\\', "/");
    let mut uri = String::from("file:");
    if !text.starts_with('/') {
        // `C:/…` becomes `file:///C:/…`.
        uri.push_str("///");
    }
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' | b':' => {
                uri.push(byte as char)
            }
            other => uri.push_str(&format!("%{other:02X}")),
        }
    }
    uri.push_str("?immutable=1");
    uri
}

/// Creates a new library at `path`: built and migrated under a temporary name in the same
/// folder, then linked into place, which fails if `path` appeared meanwhile. So a library
/// is never seen half made, and processes that start together all end up with the one
/// that was linked first. Whether this call's library is the one in place.
fn create(path: &Path) -> Result<bool> {
    let dir = match path.parent().filter(|p| !p.as_os_str().is_empty()) {
        Some(dir) => dir,
        None => Path::new("."),
    };
    let io = |source: std::io::Error| match source.kind() {
        std::io::ErrorKind::ReadOnlyFilesystem | std::io::ErrorKind::PermissionDenied => {
            StoreError::ReadOnly {
                path: path.to_path_buf(),
                cause: format!(
                    "the library does not exist and its folder cannot be written: {source}"
                ),
            }
        }
        std::io::ErrorKind::StorageFull => StoreError::Full {
            path: path.to_path_buf(),
        },
        _ => StoreError::Io {
            path: path.to_path_buf(),
            source,
        },
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".new")
        .tempfile_in(dir)
        .map_err(io)?;
    {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(temp.path(), flags)?;
        // The default rollback journal: closing leaves one file and nothing beside it.
        migrate(&conn, 0).map_err(|e| explain(Some(&conn), temp.path(), e))?;
        conn.close().map_err(|(_, e)| StoreError::Sqlite(e))?;
    }
    match std::fs::hard_link(temp.path(), path) {
        Ok(()) => Ok(true),
        // Another process linked its library first: use that one.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
        // A file system without hard links: a rename, which a racing creator may
        // overwrite with its own identical new library before anything is written.
        Err(_) => temp.persist_noclobber(path).map(|_| true).or_else(|e| {
            if e.error.kind() == std::io::ErrorKind::AlreadyExists {
                Ok(false)
            } else {
                Err(io(e.error))
            }
        }),
    }
}

/// The operating system's error behind SQLite's last failure on `conn`, if any.
pub(crate) fn system_error(conn: &Connection) -> Option<std::io::Error> {
    // SAFETY: `handle` is the live connection's own pointer, used for one read-only
    // call on this thread while `conn` is borrowed.
    let errno = unsafe { rusqlite::ffi::sqlite3_system_errno(conn.handle()) };
    (errno != 0).then(|| std::io::Error::from_raw_os_error(errno))
}

/// `e` in words when it says why the library cannot be written: locked by another
/// process, a full disk, or read-only. Anything else stays an SQLite error.
pub(crate) fn explain(conn: Option<&Connection>, path: &Path, e: rusqlite::Error) -> StoreError {
    let path = path.to_path_buf();
    let system = conn.and_then(system_error);
    match e.sqlite_error_code() {
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => StoreError::Locked {
            path,
            waited_secs: BUSY_TIMEOUT.as_secs(),
        },
        Some(ErrorCode::DiskFull) => StoreError::Full { path },
        Some(ErrorCode::ReadOnly) => StoreError::ReadOnly {
            path,
            cause: match system {
                Some(s) => s.to_string(),
                None => e.to_string(),
            },
        },
        Some(ErrorCode::SystemIoFailure | ErrorCode::CannotOpen | ErrorCode::PermissionDenied) => {
            match system.as_ref().map(|s| s.kind()) {
                Some(std::io::ErrorKind::StorageFull) => StoreError::Full { path },
                Some(
                    std::io::ErrorKind::ReadOnlyFilesystem | std::io::ErrorKind::PermissionDenied,
                ) => StoreError::ReadOnly {
                    path,
                    cause: system.map(|s| s.to_string()).unwrap_or_default(),
                },
                _ => StoreError::Sqlite(e),
            }
        }
        _ => StoreError::Sqlite(e),
    }
}

struct Found {
    application_id: i32,
    user_version: i64,
    objects: i64,
}

/// The header fields and the number of schema objects, read in one transaction: read one
/// by one, another process's first migration could land between them and make a new
/// library look like another application's.
fn inspect(conn: &Connection) -> rusqlite::Result<Found> {
    let tx = Transaction::new_unchecked(conn, TransactionBehavior::Deferred)?;
    // Reading the schema first starts the snapshot, and makes SQLite parse it, which
    // catches a damaged header.
    let objects = tx.query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))?;
    let application_id = tx.pragma_query_value(None, "application_id", |r| r.get(0))?;
    let user_version = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
    tx.commit()?;
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

/// Applies the migrations after `applied` (as read when the file was opened); each one
/// checks again under the write lock. An up-to-date library is not written to.
fn migrate(conn: &Connection, applied: u32) -> rusqlite::Result<()> {
    for (i, script) in MIGRATIONS.iter().enumerate().skip(applied as usize) {
        let number = i as u32 + 1;
        let tx = Transaction::new_unchecked(conn, TransactionBehavior::Immediate)?;
        let applied: u32 = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
        if applied >= number {
            continue;
        }
        tx.execute_batch(script)?;
        if number == 1 {
            tx.pragma_update(None, "application_id", Store::APPLICATION_ID)?;
        }
        tx.pragma_update(None, "user_version", number)?;
        tx.commit()?;
    }
    Ok(())
}
