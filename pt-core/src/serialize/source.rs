//! Random access to the bytes of a checkpoint: a byte slice, a file (positional reads) or
//! any `Read + Seek`.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};

/// Positional reads over a checkpoint of known length.
pub(crate) trait Source {
    /// Total length in bytes.
    fn len(&self) -> u64;

    /// Reads up to `buf.len()` bytes at `offset`; returns how many were read (0 at the end).
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> io::Result<usize>;

    /// Fills `buf` from `offset`, or fails with `UnexpectedEof`.
    fn read_exact_at(&mut self, mut offset: u64, mut buf: &mut [u8]) -> io::Result<()> {
        while !buf.is_empty() {
            match self.read_at(offset, buf) {
                Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
                Ok(n) => {
                    buf = buf.get_mut(n..).unwrap_or_default();
                    offset = offset.saturating_add(n as u64);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}

/// A byte slice in memory.
pub(crate) struct SliceSource<'a>(pub &'a [u8]);

impl Source for SliceSource<'_> {
    fn len(&self) -> u64 {
        self.0.len() as u64
    }

    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        let Ok(start) = usize::try_from(offset) else {
            return Ok(0);
        };
        let rest = self.0.get(start..).unwrap_or_default();
        let n = rest.len().min(buf.len());
        if let (Some(dst), Some(src)) = (buf.get_mut(..n), rest.get(..n)) {
            dst.copy_from_slice(src);
        }
        Ok(n)
    }
}

/// A file, read with positional reads where the platform has them.
pub(crate) struct FileSource {
    file: File,
    len: u64,
}

impl FileSource {
    pub(crate) fn new(file: File) -> io::Result<FileSource> {
        let len = file.metadata()?.len();
        Ok(FileSource { file, len })
    }
}

impl Source for FileSource {
    fn len(&self) -> u64 {
        self.len
    }

    #[cfg(unix)]
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        std::os::unix::fs::FileExt::read_at(&self.file, buf, offset)
    }

    #[cfg(windows)]
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        std::os::windows::fs::FileExt::seek_read(&self.file, buf, offset)
    }

    #[cfg(not(any(unix, windows)))]
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        self.file.seek(SeekFrom::Start(offset))?;
        self.file.read(buf)
    }
}

/// Any `Read + Seek`; its length is found by seeking to the end once.
pub(crate) struct SeekSource<R> {
    inner: R,
    len: u64,
    pos: Option<u64>,
}

impl<R: Read + Seek> SeekSource<R> {
    pub(crate) fn new(mut inner: R) -> io::Result<SeekSource<R>> {
        let len = inner.seek(SeekFrom::End(0))?;
        Ok(SeekSource {
            inner,
            len,
            pos: None,
        })
    }
}

impl<R: Read + Seek> Source for SeekSource<R> {
    fn len(&self) -> u64 {
        self.len
    }

    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        if self.pos != Some(offset) {
            self.inner.seek(SeekFrom::Start(offset))?;
        }
        let n = self.inner.read(buf);
        self.pos = match &n {
            Ok(n) => Some(offset.saturating_add(*n as u64)),
            Err(_) => None,
        };
        n
    }
}

/// Serves small reads from a read-ahead window, so that the local headers and small records
/// of a checkpoint with many tensors cost one system call per window instead of two per
/// record. Reads of a quarter window or more go straight into the caller's buffer (a large
/// tensor is still read once, directly into its storage).
pub(crate) struct ReadAhead<S> {
    inner: S,
    window: Vec<u8>,
    start: u64,
    filled: usize,
}

/// Size of the read-ahead window.
const WINDOW: usize = 256 * 1024;

impl<S: Source> ReadAhead<S> {
    pub(crate) fn new(inner: S) -> ReadAhead<S> {
        ReadAhead {
            inner,
            window: Vec::new(),
            start: 0,
            filled: 0,
        }
    }

    /// Copies what the window holds at `offset` into `buf`; 0 when it holds nothing there.
    fn copy_from_window(&self, offset: u64, buf: &mut [u8]) -> usize {
        let Some(i) = offset
            .checked_sub(self.start)
            .and_then(|i| usize::try_from(i).ok())
            .filter(|&i| i < self.filled)
        else {
            return 0;
        };
        let n = buf.len().min(self.filled - i);
        if let (Some(dst), Some(src)) = (buf.get_mut(..n), self.window.get(i..i + n)) {
            dst.copy_from_slice(src);
        }
        n
    }
}

impl<S: Source> Source for ReadAhead<S> {
    fn len(&self) -> u64 {
        self.inner.len()
    }

    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.copy_from_window(offset, buf);
        if n > 0 || buf.is_empty() {
            return Ok(n);
        }
        if buf.len() >= WINDOW / 4 {
            return self.inner.read_at(offset, buf);
        }
        // Refill the window from `offset` (as far as the source goes), then serve from it.
        self.window.resize(WINDOW, 0);
        self.filled = 0;
        self.start = offset;
        let want = usize::try_from(self.inner.len().saturating_sub(offset))
            .unwrap_or(WINDOW)
            .min(WINDOW);
        while self.filled < want {
            let dst = self.window.get_mut(self.filled..want).unwrap_or_default();
            match self.inner.read_at(offset + self.filled as u64, dst) {
                Ok(0) => break,
                Ok(k) => self.filled += k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.filled = 0;
                    return Err(e);
                }
            }
        }
        Ok(self.copy_from_window(offset, buf))
    }
}

/// A `Read` over `[offset, offset + len)` of a source.
pub(crate) struct RangeReader<'s, S: ?Sized> {
    src: &'s mut S,
    pos: u64,
    end: u64,
}

impl<'s, S: Source + ?Sized> RangeReader<'s, S> {
    pub(crate) fn new(src: &'s mut S, offset: u64, len: u64) -> RangeReader<'s, S> {
        RangeReader {
            src,
            pos: offset,
            end: offset.saturating_add(len),
        }
    }
}

impl<S: Source + ?Sized> Read for RangeReader<'_, S> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = self.end.saturating_sub(self.pos);
        let n = usize::try_from(left).unwrap_or(usize::MAX).min(buf.len());
        if n == 0 {
            return Ok(0);
        }
        let got = self
            .src
            .read_at(self.pos, buf.get_mut(..n).unwrap_or_default())?;
        self.pos = self.pos.saturating_add(got as u64);
        Ok(got)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_agree() {
        let data: Vec<u8> = (0..100u8).collect();
        let mut s = SliceSource(&data);
        let mut buf = [0u8; 5];
        s.read_exact_at(10, &mut buf).unwrap();
        assert_eq!(buf, [10, 11, 12, 13, 14]);
        assert!(s.read_exact_at(98, &mut buf).is_err());
        let mut k = SeekSource::new(io::Cursor::new(data.clone())).unwrap();
        assert_eq!(k.len(), 100);
        k.read_exact_at(95, &mut buf).unwrap();
        assert_eq!(buf, [95, 96, 97, 98, 99]);
        let mut r = Vec::new();
        RangeReader::new(&mut k, 3, 4).read_to_end(&mut r).unwrap();
        assert_eq!(r, vec![3, 4, 5, 6]);
    }

    #[test]
    fn read_ahead_agrees_with_its_source() {
        let data: Vec<u8> = (0..3 * WINDOW as u32).map(|i| (i % 251) as u8).collect();
        let mut ra = ReadAhead::new(SliceSource(&data));
        // Small reads in and across windows, backwards, a large direct read, and the end.
        for (offset, len) in [
            (0, 30),
            (17, 100),
            (WINDOW - 10, 40),
            (5, 7),
            (WINDOW + 3, WINDOW),
            (3 * WINDOW - 4, 4),
        ] {
            let mut buf = vec![0u8; len];
            ra.read_exact_at(offset as u64, &mut buf).unwrap();
            assert_eq!(buf, data[offset..offset + len], "at {offset}+{len}");
        }
        let mut past = [0u8; 8];
        assert!(ra.read_exact_at(3 * WINDOW as u64 - 4, &mut past).is_err());
        assert_eq!(ra.read_at(3 * WINDOW as u64 + 9, &mut past).unwrap(), 0);
    }
}
