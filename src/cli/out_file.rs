//! `score --output FILE`: results go to a new file beside FILE, renamed onto
//! it once the run has finished. FILE therefore always holds a complete
//! set of results, the previous run's until this one is done, and a run
//! that fails (unreadable input, `--strict` stopping at bad data) leaves
//! it as it was. Whoever reads FILE while a nightly run is going never sees
//! half of one.
//!
//! A name that is not a regular file (`/dev/null`, a named pipe, a symbolic
//! link, which is kept) is written in place, as is a file in a directory
//! where no new file may be made.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

pub struct OutFile {
    writer: BufWriter<File>,
    /// The file being written, when it is not `path` itself; removed when
    /// the run does not finish.
    aside: Option<PathBuf>,
    path: PathBuf,
}

impl OutFile {
    pub fn create(path: &Path) -> std::io::Result<OutFile> {
        let previous = match std::fs::symlink_metadata(path) {
            Ok(m) if m.file_type().is_file() => Some(m),
            Ok(_) => return OutFile::in_place(path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(_) => return OutFile::in_place(path),
        };
        let Some(name) = path.file_name() else {
            return OutFile::in_place(path);
        };
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        let aside = dir.join(format!(
            ".{}.leadscore-{}",
            name.to_string_lossy(),
            std::process::id()
        ));
        let file = match OpenOptions::new().write(true).create_new(true).open(&aside) {
            Ok(f) => f,
            Err(_) => return OutFile::in_place(path),
        };
        if let Some(m) = previous {
            // The results keep the old file's permissions.
            let _ = file.set_permissions(m.permissions());
        }
        Ok(OutFile {
            writer: BufWriter::new(file),
            aside: Some(aside),
            path: path.to_path_buf(),
        })
    }

    fn in_place(path: &Path) -> std::io::Result<OutFile> {
        Ok(OutFile {
            writer: BufWriter::new(File::create(path)?),
            aside: None,
            path: path.to_path_buf(),
        })
    }

    /// FILE, the name the results go to.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The run finished: the results take FILE's place.
    pub fn finish(mut self) -> std::io::Result<()> {
        self.writer.flush()?;
        if let Some(aside) = self.aside.take() {
            if let Err(e) = std::fs::rename(&aside, &self.path) {
                let _ = std::fs::remove_file(&aside);
                return Err(e);
            }
        }
        Ok(())
    }
}

impl Write for OutFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.writer.write(buf)
    }

    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.writer.write_all(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.writer.flush()
    }
}

impl Drop for OutFile {
    /// Not finished: this run's partial results are thrown away.
    fn drop(&mut self) {
        if let Some(aside) = self.aside.take() {
            let _ = std::fs::remove_file(aside);
        }
    }
}
