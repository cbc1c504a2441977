//! Output files written whole or not at all.

use std::io::Write;
use std::path::{Path, PathBuf};

/// A file that appears under its name only when complete: bytes go to a hidden sibling, which
/// [`OutputFile::commit`] renames into place and dropping without a commit removes. A run that
/// stops early (bad input, a failed write, a panic) leaves no partial file behind.
pub struct OutputFile {
    path: PathBuf,
    temp: PathBuf,
    writer: Option<std::io::BufWriter<std::fs::File>>,
}

impl OutputFile {
    pub fn create(path: &Path) -> std::io::Result<OutputFile> {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let temp = path.with_file_name(format!(".{name}.joincheck-{}.tmp", std::process::id()));
        let file = std::fs::File::create(&temp)?;
        Ok(OutputFile {
            path: path.to_owned(),
            temp,
            writer: Some(std::io::BufWriter::new(file)),
        })
    }

    /// Writes `bytes` to `path` all at once, or not at all.
    pub fn write_whole(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
        let mut f = OutputFile::create(path)?;
        f.write_all(bytes)?;
        f.commit()
    }

    pub fn commit(mut self) -> std::io::Result<()> {
        let writer = self.writer.take().expect("an uncommitted file has its writer");
        let file = writer.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&self.temp, &self.path)
    }
}

impl Write for OutputFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.writer
            .as_mut()
            .expect("an uncommitted file has its writer")
            .write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.writer
            .as_mut()
            .expect("an uncommitted file has its writer")
            .flush()
    }
}

impl Drop for OutputFile {
    fn drop(&mut self) {
        if self.writer.take().is_some() {
            let _ = std::fs::remove_file(&self.temp);
        }
    }
}
