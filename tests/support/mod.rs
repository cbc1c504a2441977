//! Helpers shared by the modules that run the `joincheck` binary.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The root of the crate: the binary runs there, so bundled files are named by relative
/// paths (`models/traces/late.jsonl`) exactly as a user would type them.
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

pub const INNER: &str = "models/reference-impressions-clicks.toml";
pub const LEFT_OUTER: &str = "models/reference-impressions-clicks-left-outer.toml";

/// A bundled trace by its stem: `trace("late")` is `models/traces/late.jsonl`.
pub fn trace(stem: &str) -> String {
    format!("models/traces/{stem}.jsonl")
}

/// What one run of the binary did.
#[derive(Debug)]
pub struct Run {
    /// The exit code; `None` when the process was killed by a signal.
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// The non-empty lines of standard output.
    pub fn lines(&self) -> Vec<&str> {
        self.stdout.lines().filter(|l| !l.trim().is_empty()).collect()
    }
}

/// Runs `joincheck ARGS...` in the crate root and waits for it.
pub fn joincheck<I, S>(args: I) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let out = Command::new(env!("CARGO_BIN_EXE_joincheck"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("the joincheck binary runs");
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A directory of its own under the system temporary directory, removed when dropped (also
/// when the test fails and unwinds).
pub struct TempDir(PathBuf);

impl TempDir {
    /// `label` only makes the directory recognisable; the name is unique per process and call.
    pub fn new(label: &str) -> TempDir {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("joincheck-test-{label}-{}-{n}", std::process::id()));
        // A leftover from an earlier process with the same pid is stale: start afresh.
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create a temporary directory");
        TempDir(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    /// Writes `contents` to `name` inside the directory and returns the file's path.
    pub fn write(&self, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, contents).expect("write a temporary file");
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
