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
//!
//! A name ending in `.gz` is written gzip-compressed, as `score` reads such
//! input.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

pub struct OutFile {
    writer: Writer,
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
            writer: Writer::new(path, file),
            aside: Some(aside),
            path: path.to_path_buf(),
        })
    }

    fn in_place(path: &Path) -> std::io::Result<OutFile> {
        Ok(OutFile {
            writer: Writer::new(path, File::create(path)?),
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
        self.writer.finish()?;
        if let Some(aside) = self.aside.take() {
            if let Err(e) = std::fs::rename(&aside, &self.path) {
                let _ = std::fs::remove_file(&aside);
                return Err(e);
            }
        }
        Ok(())
    }
}

/// The gzip level results are written at: the fastest. On the 1M-lead
/// benchmark's 368 MB of results, 56 MB and 0.4 s more than plain; level
/// 6 gives 26 MB but takes as long again as the whole run.
const LEVEL: u32 = 1;

/// The file's bytes as written, or gzip-compressed.
enum Writer {
    Plain(BufWriter<File>),
    Gzip(Box<flate2::write::GzEncoder<BufWriter<File>>>),
}

impl Writer {
    /// Compressed when `path`'s name ends in `.gz` (in any case).
    fn new(path: &Path, file: File) -> Writer {
        let gz = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("gz"));
        let file = BufWriter::new(file);
        if gz {
            Writer::Gzip(Box::new(flate2::write::GzEncoder::new(
                file,
                flate2::Compression::new(LEVEL),
            )))
        } else {
            Writer::Plain(file)
        }
    }

    /// Everything written out: a gzip stream ended with its trailer.
    fn finish(&mut self) -> std::io::Result<()> {
        match self {
            Writer::Plain(w) => w.flush(),
            Writer::Gzip(w) => {
                w.try_finish()?;
                w.get_mut().flush()
            }
        }
    }

    fn inner(&mut self) -> &mut dyn Write {
        match self {
            Writer::Plain(w) => w,
            Writer::Gzip(w) => &mut **w,
        }
    }
}

impl Write for OutFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.writer.inner().write(buf)
    }

    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.writer.inner().write_all(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.writer.inner().flush()
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
