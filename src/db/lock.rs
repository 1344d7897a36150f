//! One bot per database: the bot (`run`) holds an exclusive OS lock on a
//! file beside the database, `<db>.lock`, holding its pid. A console checks
//! that lock before it opens the database, so it never works on the bot's
//! data; whoever wants to look at it takes a copy with `release-desk backup`.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// Why a database could not be had.
#[derive(Debug)]
pub enum LockError {
    /// Another process holds the lock: the pid it wrote, if readable.
    Held {
        /// The database file.
        db: PathBuf,
        /// The lock file.
        lock: PathBuf,
        /// The holder's pid.
        pid: Option<u32>,
    },
    /// The lock file could not be opened or locked.
    Io(PathBuf, std::io::Error),
}

/// The lock, held until dropped (or the process ends, however it ends).
#[derive(Debug)]
pub struct Held(#[allow(dead_code)] File);

/// The database file a URL names; None for an in-memory database or a
/// PostgreSQL server (whose writers take turns on an advisory lock instead).
pub fn db_file(url: &str) -> Option<PathBuf> {
    if super::is_postgres(url) {
        return None;
    }
    let url = if url.starts_with("sqlite:") {
        url.to_string()
    } else {
        format!("sqlite://{url}")
    };
    let options = sqlx::sqlite::SqliteConnectOptions::from_str(&url).ok()?;
    let file = options.get_filename();
    let name = file.to_string_lossy();
    (!name.is_empty() && !name.starts_with(':') && !name.starts_with("file:")).then(|| file.to_path_buf())
}

/// The lock file of a database file.
pub fn lock_file(db: &Path) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

fn open(lock: &Path) -> Result<File, LockError> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(lock)
        .map_err(|e| LockError::Io(lock.to_path_buf(), e))
}

fn held_by(db: &Path, lock: &Path) -> LockError {
    let mut text = String::new();
    let pid = File::open(lock)
        .and_then(|mut f| f.read_to_string(&mut text))
        .ok()
        .and_then(|_| text.trim().parse().ok());
    LockError::Held {
        db: db.to_path_buf(),
        lock: lock.to_path_buf(),
        pid,
    }
}

/// Takes the lock of database `db` for this process and writes its pid
/// there; fails if another process holds it.
pub fn hold(db: &Path) -> Result<Held, LockError> {
    let lock = lock_file(db);
    let mut file = open(&lock)?;
    match file.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => return Err(held_by(db, &lock)),
        Err(TryLockError::Error(e)) => return Err(LockError::Io(lock, e)),
    }
    let written = file
        .set_len(0)
        .and_then(|_| file.rewind())
        .and_then(|_| writeln!(file, "{}", std::process::id()))
        .and_then(|_| file.flush());
    written.map_err(|e| LockError::Io(lock, e))?;
    Ok(Held(file))
}

/// Fails if a process holds the lock of database `db` (a running bot).
/// Takes it only for the moment of the check: consoles do not keep each
/// other, or a bot, out.
pub fn ensure_free(db: &Path) -> Result<(), LockError> {
    let lock = lock_file(db);
    // No lock file: no bot ever ran here, and none should be created for it.
    if !lock.exists() {
        return Ok(());
    }
    let file = open(&lock)?;
    match file.try_lock_shared() {
        Ok(()) => Ok(()),
        Err(TryLockError::WouldBlock) => Err(held_by(db, &lock)),
        Err(TryLockError::Error(e)) => Err(LockError::Io(lock, e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_database_file_of_a_url() {
        assert_eq!(db_file("sqlite://a/b.sqlite"), Some(PathBuf::from("a/b.sqlite")));
        assert_eq!(db_file("b.sqlite"), Some(PathBuf::from("b.sqlite")));
        assert_eq!(
            db_file("sqlite:///var/x.sqlite?mode=rwc"),
            Some(PathBuf::from("/var/x.sqlite"))
        );
        assert_eq!(db_file("sqlite::memory:"), None);
        assert_eq!(
            lock_file(Path::new("/var/x.sqlite")),
            PathBuf::from("/var/x.sqlite.lock")
        );
    }

    #[test]
    fn a_held_lock_names_its_holder_and_frees_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("d.sqlite");
        ensure_free(&db).unwrap();
        let held = hold(&db).unwrap();
        // flock locks belong to the open file, so a second open in this process is refused too.
        match ensure_free(&db) {
            Err(LockError::Held { pid, .. }) => assert_eq!(pid, Some(std::process::id())),
            other => panic!("expected the lock held, got {other:?}"),
        }
        assert!(matches!(hold(&db), Err(LockError::Held { .. })));
        drop(held);
        ensure_free(&db).unwrap();
        hold(&db).unwrap();
    }
}
