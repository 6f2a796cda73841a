//! Temporary directories that are removed however the command ends.
//!
//! A [`Scratch`] directory is removed when it is dropped, as a
//! [`tempfile::TempDir`] is, which covers every ending that unwinds: success,
//! an error, a closed output pipe. An interrupt (Ctrl-C, SIGINT) or a
//! termination request (SIGTERM) ends the process without unwinding, so the
//! first `Scratch` also starts a thread that waits for either signal,
//! removes every directory still open, and exits with the shell's code for
//! the signal (130 or 143).
//!
//! A process killed outright (SIGKILL, the out-of-memory killer, a power
//! cut) removes nothing. So each directory holds a lock file, locked for as
//! long as its process runs: the lock goes with the process, however it
//! ends. A new `Scratch` first removes the directories of its kind whose
//! lock nobody holds, so what a killed run left is gone by the next one.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, Once};

/// The directories to remove on a signal. The signal thread holds this
/// lock from the time it starts removing them until the process ends.
static OPEN: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
static WATCH: Once = Once::new();
/// Set once a signal has been received.
static SIGNALLED: AtomicBool = AtomicBool::new(false);

/// Called by a command as it ends: if a signal came, the signal thread is
/// removing the temporary directories and will end the process with the
/// signal's code; wait for it rather than end first with another code
/// (typically the error of a file it removed).
pub fn wait_if_signalled() {
    if SIGNALLED.load(Ordering::SeqCst) {
        let _list = open_dirs();
        loop {
            std::thread::park();
        }
    }
}

/// A temporary directory, removed on drop or on an interrupt.
pub struct Scratch {
    dir: tempfile::TempDir,
    /// The directory's lock file, locked while this process runs.
    _lock: Option<File>,
}

/// The lock file in each directory.
const LOCK: &str = ".lock";
/// A directory whose lock file is younger than this is left alone even
/// when nobody holds the lock: its process may be about to take it.
const GRACE: std::time::Duration = std::time::Duration::from_secs(10);

impl Scratch {
    /// A new directory in the system's temporary directory (`TMPDIR`),
    /// named `{prefix}` and a random suffix.
    pub fn new(prefix: &str) -> std::io::Result<Scratch> {
        // Signals are watched before there is anything to remove.
        WATCH.call_once(watch_signals);
        remove_abandoned(&std::env::temp_dir(), prefix);
        // The directory is made while the list is locked, so a signal that
        // comes as it is made waits for it to be listed, and is never
        // between the two (a directory on disk that the list lacks).
        let mut open = open_dirs();
        let dir = tempfile::Builder::new().prefix(prefix).tempdir()?;
        open.push(dir.path().to_path_buf());
        // Where files can't be locked, the directory is simply never
        // taken for abandoned (see `remove_abandoned`).
        let lock = File::create(dir.path().join(LOCK))
            .ok()
            .filter(|f| f.lock().is_ok());
        Ok(Scratch { dir, _lock: lock })
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        // The directory itself goes when `dir` is dropped, after this.
        open_dirs().retain(|p| p != self.dir.path());
    }
}

/// Removes the directories in `tmp` named `{prefix}…` that a process left
/// without removing them: those whose lock file nobody holds (and that is
/// old enough not to be one being made). A directory without a lock file,
/// or whose lock can't be tried, is left alone.
fn remove_abandoned(tmp: &Path, prefix: &str) {
    let Ok(entries) = std::fs::read_dir(tmp) else {
        return;
    };
    for entry in entries.flatten() {
        if !entry.file_name().to_string_lossy().starts_with(prefix) {
            continue;
        }
        let dir = entry.path();
        let Ok(lock) = File::open(dir.join(LOCK)) else {
            continue;
        };
        let old = lock
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age >= GRACE);
        if old && lock.try_lock().is_ok() {
            let _ = std::fs::remove_dir_all(&dir);
        }
    }
}

/// Makes a file or directory inside a [`Scratch`] directory: `make` runs
/// while the list of open directories is locked, so once a signal is being
/// handled nothing new appears in them, and removing them can't be
/// outpaced by another thread adding files.
pub fn making<T>(make: impl FnOnce() -> std::io::Result<T>) -> std::io::Result<T> {
    let _open = open_dirs();
    make()
}

fn open_dirs() -> std::sync::MutexGuard<'static, Vec<PathBuf>> {
    // A thread that panicked while holding the list left it whole.
    OPEN.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Starts the thread that removes the open directories on a signal. If it
/// can't be started, signals end the process as they did before: the
/// directories stay behind, as with any program killed outright.
/// Returns once the signals are watched (or can't be).
fn watch_signals() {
    let (ready, watching) = std::sync::mpsc::channel::<()>();
    let _ = std::thread::Builder::new()
        .name("leadscore-signals".into())
        .spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_io()
                .build()
            else {
                return;
            };
            let code = rt.block_on(async {
                use tokio::signal::unix::{signal, SignalKind};
                let (Ok(mut int), Ok(mut term)) = (
                    signal(SignalKind::interrupt()),
                    signal(SignalKind::terminate()),
                ) else {
                    return None;
                };
                drop(ready);
                tokio::select! {
                    _ = int.recv() => Some(130),
                    _ = term.recv() => Some(143),
                }
            });
            let Some(code) = code else { return };
            let open = open_dirs();
            SIGNALLED.store(true, Ordering::SeqCst);
            for dir in open.iter() {
                // Nothing can be added now (see `making`), but other threads
                // may be removing their own files as this runs: try again.
                for _ in 0..5 {
                    if std::fs::remove_dir_all(dir).is_ok() || !dir.exists() {
                        break;
                    }
                }
            }
            std::process::exit(code);
        });
    // The sender is dropped once the handlers are in place, or when the
    // thread gives up (or never started).
    let _ = watching.recv();
}
