//! A zip reader for checkpoints: one pass over the central directory (sizes and offsets come
//! from there, never from local headers), stored and deflated records, zip64.

use std::io::Read;

use super::spec::{CENTRAL_SIG, EOCD_SIG, EOCD64_SIG, LOCAL_SIG, LOCATOR_SIG};
use crate::serialize::error::{LoadError, Location};
use crate::serialize::limits::Limits;
use crate::serialize::source::{RangeReader, Source};
use foldhash::HashMap;

const EOCD_LEN: usize = 22;
const CENTRAL_LEN: usize = 46;
const LOCAL_LEN: usize = 30;

/// Compression methods.
pub(crate) const STORED: u16 = 0;
pub(crate) const DEFLATED: u16 = 8;

/// One record, as the central directory describes it.
#[derive(Clone, Debug)]
pub(crate) struct ZipEntry {
    /// Full name, prefix included.
    pub name: String,
    pub method: u16,
    pub crc: u32,
    pub compressed_size: u64,
    pub size: u64,
    pub header_offset: u64,
}

/// The records of an archive, found through its central directory.
#[derive(Debug)]
pub(crate) struct ZipArchive {
    /// The folder every record is in (`archive`).
    pub prefix: String,
    entries: Vec<ZipEntry>,
    index: HashMap<String, usize>,
    /// Where the central directory starts (no record data lies beyond it).
    data_end: u64,
}

fn u16_at(b: &[u8], i: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(i..i + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], i: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(i..i + 4)?.try_into().ok()?))
}

fn u64_at(b: &[u8], i: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(i..i + 8)?.try_into().ok()?))
}

fn bad(message: impl Into<String>, offset: u64) -> LoadError {
    LoadError::format(message, Location::at(offset))
}

fn read_at<S: Source + ?Sized>(
    src: &mut S,
    offset: u64,
    len: usize,
    what: &str,
) -> Result<Vec<u8>, LoadError> {
    let end = offset.checked_add(len as u64);
    if end.is_none_or(|e| e > src.len()) {
        return Err(bad(
            format!(
                "{what}: {len} bytes at offset {offset} run past the end of the file ({} bytes)",
                src.len()
            ),
            offset,
        ));
    }
    let mut buf = vec![0u8; len];
    src.read_exact_at(offset, &mut buf)
        .map_err(|e| LoadError::io(format!("reading {what}"), e))?;
    Ok(buf)
}

/// Where the central directory is, from the (zip64) end records.
struct Directory {
    offset: u64,
    size: u64,
    entries: u64,
    end: u64,
}

fn find_directory<S: Source + ?Sized>(src: &mut S) -> Result<Directory, LoadError> {
    let len = src.len();
    let tail_len = len.min((EOCD_LEN + 0xFFFF) as u64);
    let tail_start = len - tail_len;
    let tail = read_at(src, tail_start, tail_len as usize, "the end of the zip")?;
    let mut found = None;
    let mut i = tail.len().saturating_sub(EOCD_LEN);
    loop {
        if u32_at(&tail, i) == Some(EOCD_SIG) {
            let comment = u16_at(&tail, i + 20).map_or(usize::MAX, usize::from);
            if i + EOCD_LEN + comment <= tail.len() {
                found = Some(i);
                break;
            }
        }
        if i == 0 {
            break;
        }
        i -= 1;
    }
    let Some(i) = found else {
        return Err(bad(
            "not a complete zip archive: no end-of-central-directory record (truncated file?)",
            len,
        ));
    };
    let eocd_at = tail_start + i as u64;
    let field = |off: usize| u16_at(&tail, i + off).unwrap_or(0);
    let (disk, cd_disk) = (field(4), field(6));
    let mut dir = Directory {
        entries: u64::from(field(10)),
        size: u64::from(u32_at(&tail, i + 12).unwrap_or(0)),
        offset: u64::from(u32_at(&tail, i + 16).unwrap_or(0)),
        end: eocd_at,
    };
    if disk != 0 || cd_disk != 0 {
        return Err(LoadError::unsupported(
            "multi-disk zip archives",
            Location::at(eocd_at),
        ));
    }
    if let Some(loc_at) = eocd_at.checked_sub(20) {
        let loc = read_at(src, loc_at, 20, "the zip64 locator")?;
        if u32_at(&loc, 0) == Some(LOCATOR_SIG) {
            let z_at = u64_at(&loc, 8).unwrap_or(u64::MAX);
            if z_at.checked_add(56).is_none_or(|e| e > loc_at) {
                return Err(bad(
                    format!("zip64 end record offset {z_at} is out of range"),
                    loc_at,
                ));
            }
            let z = read_at(src, z_at, 56, "the zip64 end record")?;
            if u32_at(&z, 0) != Some(EOCD64_SIG) {
                return Err(bad("zip64 end record signature not found", z_at));
            }
            dir = Directory {
                entries: u64_at(&z, 32).unwrap_or(0),
                size: u64_at(&z, 40).unwrap_or(0),
                offset: u64_at(&z, 48).unwrap_or(0),
                end: z_at,
            };
        }
    }
    if dir.offset.checked_add(dir.size).is_none_or(|e| e > dir.end) {
        return Err(bad(
            format!(
                "central directory ({} bytes at offset {}) overlaps the end records at {}",
                dir.size, dir.offset, dir.end
            ),
            dir.end,
        ));
    }
    Ok(dir)
}

impl ZipArchive {
    /// Reads the central directory.
    ///
    /// # Errors
    /// Format errors for truncated or inconsistent archives, records outside one folder or
    /// duplicated; a limit error for too many records.
    pub(crate) fn open<S: Source + ?Sized>(
        src: &mut S,
        limits: &Limits,
    ) -> Result<ZipArchive, LoadError> {
        let dir = find_directory(src)?;
        Limits::check(
            "max_archive_entries",
            dir.entries,
            limits.max_archive_entries,
            || Location::at(dir.offset),
        )?;
        if dir.entries.saturating_mul(CENTRAL_LEN as u64) > dir.size {
            return Err(bad(
                format!(
                    "central directory of {} bytes cannot hold the {} records it declares",
                    dir.size, dir.entries
                ),
                dir.offset,
            ));
        }
        let size = usize::try_from(dir.size)
            .map_err(|_| bad("central directory too large", dir.offset))?;
        let cd = read_at(src, dir.offset, size, "the central directory")?;
        let mut entries = Vec::new();
        let mut pos = 0usize;
        while entries.len() as u64 != dir.entries {
            let at = dir.offset + pos as u64;
            let e = parse_central(&cd, &mut pos).ok_or_else(|| {
                bad(
                    format!("central directory record {} is malformed", entries.len()),
                    at,
                )
            })?;
            if e.header_offset >= dir.offset {
                return Err(bad(
                    format!(
                        "record `{}` claims a header at {} inside the central directory",
                        e.name, e.header_offset
                    ),
                    at,
                ));
            }
            entries.push(e);
        }
        let prefix = match entries.first() {
            Some(e) => match e.name.split_once('/') {
                Some((p, _)) => p.to_owned(),
                None => return Err(not_in_folder(&e.name)),
            },
            None => String::new(),
        };
        let mut index = HashMap::default();
        // One slot per record already parsed from the directory's bytes.
        index.reserve(entries.len());
        for (i, e) in entries.iter().enumerate() {
            let rel = e
                .name
                .strip_prefix(prefix.as_str())
                .and_then(|r| r.strip_prefix('/'))
                .ok_or_else(|| not_in_folder(&e.name))?;
            if rel.is_empty() || rel.ends_with('/') {
                continue;
            }
            if index.insert(rel.to_owned(), i).is_some() {
                return Err(LoadError::format(
                    format!("duplicate record `{}`", e.name),
                    Location::record(e.name.clone()),
                ));
            }
        }
        Ok(ZipArchive {
            prefix,
            entries,
            index,
            data_end: dir.offset,
        })
    }

    /// The record `name` (relative to the prefix).
    pub(crate) fn get(&self, name: &str) -> Option<&ZipEntry> {
        self.entries.get(*self.index.get(name)?)
    }

    /// The record `name`, trying the entry after `*cursor` first: storage records are
    /// usually looked up in directory order, and a sequential check avoids a hash probe.
    /// Finds exactly what [`ZipArchive::get`] finds (record names are unique); moves
    /// `*cursor` to the entry found.
    pub(crate) fn get_near(&self, name: &str, cursor: &mut usize) -> Option<&ZipEntry> {
        let next = cursor.wrapping_add(1);
        if !name.is_empty()
            && !name.ends_with('/')
            && let Some(e) = self.entries.get(next)
            && e.name
                .strip_prefix(self.prefix.as_str())
                .and_then(|r| r.strip_prefix('/'))
                == Some(name)
        {
            *cursor = next;
            return Some(e);
        }
        let i = *self.index.get(name)?;
        *cursor = i;
        self.entries.get(i)
    }

    /// The number of records.
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the record exists.
    pub(crate) fn has(&self, name: &str) -> bool {
        self.index.contains_key(name)
    }

    /// Relative names of the records, in central-directory order.
    pub(crate) fn names(&self) -> impl Iterator<Item = &str> {
        let skip = self.prefix.len() + 1;
        self.entries
            .iter()
            .filter_map(move |e| e.name.get(skip..))
            .filter(|n| !n.is_empty() && !n.ends_with('/'))
    }

    /// Offset of the record's first data byte, from its local header.
    ///
    /// # Errors
    /// A format error if the local header is missing or the data runs past the archive.
    pub(crate) fn data_offset<S: Source + ?Sized>(
        &self,
        src: &mut S,
        e: &ZipEntry,
    ) -> Result<u64, LoadError> {
        let mut h = [0u8; LOCAL_LEN];
        if e.header_offset.saturating_add(LOCAL_LEN as u64) > self.data_end
            || src.read_exact_at(e.header_offset, &mut h).is_err()
        {
            return Err(LoadError::format(
                "local header out of range or unreadable",
                Location::at(e.header_offset).in_record(&e.name),
            ));
        }
        if u32_at(&h, 0) != Some(LOCAL_SIG) {
            return Err(LoadError::format(
                "local header signature not found",
                Location::at(e.header_offset).in_record(&e.name),
            ));
        }
        let name_len = u64::from(u16_at(&h, 26).unwrap_or(0));
        let extra_len = u64::from(u16_at(&h, 28).unwrap_or(0));
        let start = e.header_offset + LOCAL_LEN as u64 + name_len + extra_len;
        if start
            .checked_add(e.compressed_size)
            .is_none_or(|end| end > self.data_end)
        {
            return Err(LoadError::format(
                format!(
                    "record data ({} bytes at offset {start}) runs into the central directory at {}",
                    e.compressed_size, self.data_end
                ),
                Location::at(e.header_offset).in_record(&e.name),
            ));
        }
        Ok(start)
    }

    /// Checks that the record's declared size is possible given the bytes that hold it, and
    /// returns the offset of its data. Call before allocating `size` bytes.
    ///
    /// # Errors
    /// Format errors for impossible sizes or a bad local header; unsupported methods.
    pub(crate) fn locate<S: Source + ?Sized>(
        &self,
        src: &mut S,
        e: &ZipEntry,
    ) -> Result<u64, LoadError> {
        let loc = || Location::record(e.name.clone());
        match e.method {
            STORED if e.compressed_size != e.size => {
                return Err(LoadError::format(
                    format!(
                        "stored record has compressed size {} but size {}",
                        e.compressed_size, e.size
                    ),
                    loc(),
                ));
            }
            STORED => {}
            // Deflate expands at most 1032:1, so a larger declared size is a lie.
            DEFLATED if e.size > e.compressed_size.saturating_mul(1032).saturating_add(1024) => {
                return Err(LoadError::format(
                    format!(
                        "record declares {} bytes, more than {} deflated bytes can hold",
                        e.size, e.compressed_size
                    ),
                    loc(),
                ));
            }
            DEFLATED => {}
            m => {
                return Err(LoadError::unsupported(
                    format!("zip compression method {m}"),
                    loc(),
                ));
            }
        }
        self.data_offset(src, e)
    }

    /// Reads a whole record, whose data starts at `start` (from [`ZipArchive::locate`]), into
    /// `dst`, whose length must be the record's size. Stored data is read straight into
    /// `dst`; deflated data through a decoder bounded by both sizes.
    ///
    /// # Errors
    /// Format errors for size or CRC mismatches; unsupported compression methods.
    pub(crate) fn read_into<S: Source + ?Sized>(
        &self,
        src: &mut S,
        e: &ZipEntry,
        start: u64,
        dst: &mut [u8],
        verify_crc: bool,
    ) -> Result<(), LoadError> {
        let loc = || Location::record(e.name.clone());
        if dst.len() as u64 != e.size {
            return Err(LoadError::format(
                format!(
                    "record holds {} bytes but {} were expected",
                    e.size,
                    dst.len()
                ),
                loc(),
            ));
        }
        match e.method {
            STORED => {
                src.read_exact_at(start, dst)
                    .map_err(|err| LoadError::io(format!("reading record {}", e.name), err))?;
            }
            DEFLATED => {
                let range = RangeReader::new(src, start, e.compressed_size);
                let mut dec = flate2::read::DeflateDecoder::new(range);
                dec.read_exact(dst).map_err(|err| {
                    LoadError::format(
                        format!("deflated data does not inflate to {} bytes: {err}", e.size),
                        loc(),
                    )
                })?;
                let mut probe = [0u8; 1];
                if matches!(dec.read(&mut probe), Ok(n) if n > 0) {
                    return Err(LoadError::format(
                        format!("deflated data inflates to more than {} bytes", e.size),
                        loc(),
                    ));
                }
            }
            m => {
                return Err(LoadError::unsupported(
                    format!("zip compression method {m}"),
                    loc(),
                ));
            }
        }
        if verify_crc && e.crc != 0 && !dst.is_empty() && crc32fast::hash(dst) != e.crc {
            return Err(LoadError::format(
                format!(
                    "CRC-32 mismatch: expected {:08x}, found {:08x}",
                    e.crc,
                    crc32fast::hash(dst)
                ),
                loc(),
            ));
        }
        Ok(())
    }

    /// Reads a small record (bookkeeping or pickle) into memory, refusing sizes over `max`.
    ///
    /// # Errors
    /// A limit error over `max`; the errors of [`ZipArchive::read_into`].
    pub(crate) fn read_record<S: Source + ?Sized>(
        &self,
        src: &mut S,
        name: &str,
        max: u64,
        limit: &'static str,
        verify_crc: bool,
    ) -> Result<Option<Vec<u8>>, LoadError> {
        let Some(e) = self.get(name) else {
            return Ok(None);
        };
        Limits::check(limit, e.size, max, || Location::record(e.name.clone()))?;
        let start = self.locate(src, e)?;
        let n = usize::try_from(e.size)
            .map_err(|_| LoadError::format("record too large", Location::record(e.name.clone())))?;
        let mut buf = vec![0u8; n];
        self.read_into(src, e, start, &mut buf, verify_crc)?;
        Ok(Some(buf))
    }

    /// The full name of a relative record name.
    pub(crate) fn full_name(&self, name: &str) -> String {
        format!("{}/{name}", self.prefix)
    }
}

fn not_in_folder(name: &str) -> LoadError {
    LoadError::format(
        format!("file in archive is not in a subdirectory: {name}"),
        Location::record(name.to_owned()),
    )
}

/// Parses one central-directory record at `*pos`, advancing it.
fn parse_central(cd: &[u8], pos: &mut usize) -> Option<ZipEntry> {
    let p = *pos;
    if u32_at(cd, p)? != CENTRAL_SIG {
        return None;
    }
    let flags = u16_at(cd, p + 8)?;
    let method = u16_at(cd, p + 10)?;
    let crc = u32_at(cd, p + 16)?;
    let mut compressed_size = u64::from(u32_at(cd, p + 20)?);
    let mut size = u64::from(u32_at(cd, p + 24)?);
    let name_len = usize::from(u16_at(cd, p + 28)?);
    let extra_len = usize::from(u16_at(cd, p + 30)?);
    let comment_len = usize::from(u16_at(cd, p + 32)?);
    let disk = u16_at(cd, p + 34)?;
    let mut header_offset = u64::from(u32_at(cd, p + 42)?);
    let name_start = p + CENTRAL_LEN;
    let extra_start = name_start.checked_add(name_len)?;
    let end = extra_start
        .checked_add(extra_len)?
        .checked_add(comment_len)?;
    if end > cd.len() || disk != 0 || flags & 1 != 0 {
        return None;
    }
    let name = std::str::from_utf8(cd.get(name_start..extra_start)?)
        .ok()?
        .to_owned();
    // The zip64 extra field holds, in this order, whichever of the fields overflowed.
    let mut extra = cd.get(extra_start..extra_start + extra_len)?;
    while extra.len() >= 4 {
        let id = u16_at(extra, 0)?;
        let len = usize::from(u16_at(extra, 2)?);
        let body = extra.get(4..4 + len)?;
        if id == 1 {
            let mut k = 0;
            for field in [&mut size, &mut compressed_size, &mut header_offset] {
                if *field == u64::from(u32::MAX) {
                    *field = u64_at(body, k)?;
                    k += 8;
                }
            }
        }
        extra = extra.get(4 + len..)?;
    }
    *pos = end;
    Some(ZipEntry {
        name,
        method,
        crc,
        compressed_size,
        size,
        header_offset,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::serialize::source::SliceSource;
    use crate::serialize::zip::write::ZipWriter;

    #[test]
    fn get_near_finds_what_get_finds() {
        let mut w = ZipWriter::new(Vec::new(), 0, "archive", 64, u64::MAX);
        for name in ["data.pkl", "data/0", "data/1", "data/2", "version"] {
            w.add(name, name.as_bytes()).expect("add");
        }
        let bytes = w.finish().expect("finish");
        let zip = ZipArchive::open(&mut SliceSource(&bytes), &Limits::default()).expect("open");
        let mut cursor = usize::MAX;
        // In order (the sequential path), out of order and repeated (the index), and missing.
        for name in [
            "data.pkl", "data/0", "data/1", "data/0", "data/0", "version", "data/2",
        ] {
            let near = zip.get_near(name, &mut cursor).map(|e| e.name.clone());
            assert_eq!(near, zip.get(name).map(|e| e.name.clone()), "{name}");
            assert_eq!(near.as_deref(), Some(format!("archive/{name}").as_str()));
        }
        for name in ["data/3", "data/", "", "archive/data/0"] {
            assert!(zip.get_near(name, &mut cursor).is_none(), "{name}");
        }
    }
}
