//! Who owns a run: the process that started it, written into the run so that any other
//! process opening the library can tell whether it is still going. A process id alone is
//! not enough (ids are reused), so on Linux the owner is also named by its start time and
//! the boot it started in; elsewhere by a file it holds locked for as long as it lives.

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// A process that starts runs, as recorded in each run it starts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Owner {
    pub pid: u32,
    /// Linux: when the process started, in clock ticks since boot (`/proc/PID/stat`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_ticks: Option<u64>,
    /// Linux: the boot the process started in (`/proc/sys/kernel/random/boot_id`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub boot_id: Option<String>,
    /// Elsewhere: a file in the data directory that the process holds locked while it
    /// lives; the operating system lets go of the lock when it ends, however it ends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lock: Option<PathBuf>,
}

/// Whether an owner is still running.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Liveness {
    Alive,
    Gone,
}

impl Owner {
    /// This process, recorded as the owner of the runs it starts in `data_dir`'s library.
    pub(crate) fn current(data_dir: &Path) -> Owner {
        let pid = std::process::id();
        if let (Some(start_ticks), Some(boot_id)) = (start_ticks(pid), boot_id()) {
            return Owner {
                pid,
                start_ticks: Some(start_ticks),
                boot_id: Some(boot_id),
                lock: None,
            };
        }
        Owner {
            pid,
            start_ticks: None,
            boot_id: None,
            lock: life_lock(data_dir),
        }
    }

    pub(crate) fn to_json(&self) -> String {
        serde_json::to_string(self).expect("an owner always serializes")
    }

    /// The owner a run records; `None` (a run from before owners were recorded, or an
    /// unreadable record) reads as no owner.
    pub(crate) fn from_json(text: &str) -> Option<Owner> {
        serde_json::from_str(text).ok()
    }

    /// Whether this owner is still running. An owner that cannot be checked either way
    /// counts as alive: a live run must never be closed.
    pub(crate) fn liveness(&self) -> Liveness {
        if let (Some(ticks), Some(boot)) = (self.start_ticks, &self.boot_id) {
            match (boot_id(), proc_stat(self.pid)) {
                // Started in an earlier boot: it cannot be running now.
                (Some(now), _) if now != *boot => return Liveness::Gone,
                (Some(_), Some(stat)) => {
                    // The same id on a process started at another time is someone else; a
                    // zombie (killed, not yet reaped) runs nothing.
                    return if stat.start_ticks == ticks && stat.state != 'Z' {
                        Liveness::Alive
                    } else {
                        Liveness::Gone
                    };
                }
                (Some(_), None) if Path::new("/proc/self/stat").exists() => {
                    return Liveness::Gone;
                }
                _ => {}
            }
        }
        if let Some(lock) = &self.lock {
            return lock_liveness(lock);
        }
        Liveness::Alive
    }
}

fn boot_id() -> Option<String> {
    let text = std::fs::read_to_string("/proc/sys/kernel/random/boot_id").ok()?;
    Some(text.trim().to_string()).filter(|t| !t.is_empty())
}

struct Stat {
    state: char,
    start_ticks: u64,
}

fn start_ticks(pid: u32) -> Option<u64> {
    proc_stat(pid).map(|s| s.start_ticks)
}

/// Fields 3 (state) and 22 (start time) of `/proc/PID/stat`. The command name (field 2)
/// is in parentheses and may hold spaces and parentheses itself, so fields are counted
/// from the last `)`.
fn proc_stat(pid: u32) -> Option<Stat> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &text[text.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace();
    let state = fields.next()?.chars().next()?;
    // After the state (field 3) come fields 4…; the start time is field 22.
    let start_ticks = fields.nth(22 - 4)?.parse().ok()?;
    Some(Stat { state, start_ticks })
}

/// The file this process holds locked for its whole life (made on first use), or `None`
/// when it cannot be made (a read-only library runs nothing anyway).
fn life_lock(data_dir: &Path) -> Option<PathBuf> {
    static HELD: OnceLock<Option<(PathBuf, std::fs::File)>> = OnceLock::new();
    let held = HELD.get_or_init(|| {
        let dir = data_dir.join("owners");
        std::fs::create_dir_all(&dir).ok()?;
        let name = format!("{}-{}.lock", std::process::id(), nonce());
        let path = dir.join(name);
        let file = std::fs::File::create(&path).ok()?;
        file.try_lock().ok()?;
        Some((path, file))
    });
    held.as_ref().map(|(path, _)| path.clone())
}

/// A lock file's owner is gone when the lock can be taken (or the file is gone).
fn lock_liveness(path: &Path) -> Liveness {
    let Ok(file) = std::fs::File::open(path) else {
        return Liveness::Gone;
    };
    match file.try_lock_shared() {
        Ok(()) => {
            let _ = file.unlock();
            drop(file);
            // Best effort: the file is of no use once its owner is gone.
            let _ = std::fs::remove_file(path);
            Liveness::Gone
        }
        Err(std::fs::TryLockError::WouldBlock) => Liveness::Alive,
        Err(std::fs::TryLockError::Error(_)) => Liveness::Alive,
    }
}

fn nonce() -> u128 {
    use std::time::{SystemTime, UNIX_EPOCH};
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_is_alive_and_recorded_by_start_time_on_linux() {
        let dir = tempfile::tempdir().unwrap();
        let me = Owner::current(dir.path());
        assert_eq!(me.pid, std::process::id());
        assert_eq!(me.liveness(), Liveness::Alive);
        let back = Owner::from_json(&me.to_json()).unwrap();
        assert_eq!(back, me);
        if cfg!(target_os = "linux") {
            assert!(me.start_ticks.is_some() && me.boot_id.is_some(), "{me:?}");
        }
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_reused_pid_an_ended_process_and_another_boot_are_gone() {
        let dir = tempfile::tempdir().unwrap();
        let me = Owner::current(dir.path());
        // Another process that later got this process's id started at another time.
        let reused = Owner {
            pid: 1,
            start_ticks: Some(me.start_ticks.unwrap() + 12345),
            ..me.clone()
        };
        assert_eq!(reused.liveness(), Liveness::Gone);
        let other_boot = Owner {
            pid: 1,
            boot_id: Some("00000000-0000-0000-0000-000000000000".into()),
            ..me.clone()
        };
        assert_eq!(other_boot.liveness(), Liveness::Gone);
        // A child that ran and was reaped.
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        let started = start_ticks(pid);
        child.wait().unwrap();
        let ended = Owner {
            pid,
            start_ticks: started,
            ..me.clone()
        };
        assert_eq!(ended.liveness(), Liveness::Gone);
        // A live child, killed and not yet reaped (a zombie), is gone too.
        let mut child = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .unwrap();
        let live = Owner {
            pid: child.id(),
            start_ticks: start_ticks(child.id()),
            ..me.clone()
        };
        assert_eq!(live.liveness(), Liveness::Alive);
        child.kill().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(100));
        assert_eq!(live.liveness(), Liveness::Gone);
        child.wait().unwrap();
    }

    #[test]
    fn a_lock_file_owner_lives_as_long_as_its_lock() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("other.lock");
        let held = std::fs::File::create(&path).unwrap();
        held.try_lock().unwrap();
        let owner = Owner {
            pid: 1,
            start_ticks: None,
            boot_id: None,
            lock: Some(path.clone()),
        };
        assert_eq!(owner.liveness(), Liveness::Alive);
        drop(held);
        assert_eq!(owner.liveness(), Liveness::Gone);
        assert!(!path.exists(), "a lock file whose owner is gone is removed");
    }
}
