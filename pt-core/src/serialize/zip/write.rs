//! A streaming zip writer laid out as PyTorch's `PyTorchStreamWriter` (miniz): stored records,
//! data aligned with an `FB` extra field, data descriptors, and always a zip64 end record.

use std::io::{self, Write};

use super::spec::{CENTRAL_SIG, EOCD_SIG, EOCD64_SIG, LOCAL_SIG, LOCATOR_SIG};

const DESCRIPTOR_SIG: u32 = 0x0807_4b50;
const FLAGS_DESCRIPTOR_UTF8: u16 = 0x0808;
const FLAGS_UTF8: u16 = 0x0800;

struct Central {
    name: String,
    crc: u32,
    size: u64,
    offset: u64,
    flags: u16,
}

/// Writes records one after the other; nothing is buffered but the central directory.
pub(crate) struct ZipWriter<W: Write> {
    out: W,
    pos: u64,
    prefix: String,
    alignment: u64,
    zip64_threshold: u64,
    central: Vec<Central>,
}

impl<W: Write> ZipWriter<W> {
    /// A writer whose first byte lands at absolute offset `start` of the output.
    pub(crate) fn new(
        out: W,
        start: u64,
        prefix: &str,
        alignment: u64,
        zip64_threshold: u64,
    ) -> ZipWriter<W> {
        ZipWriter {
            out,
            pos: start,
            prefix: prefix.to_owned(),
            alignment: alignment.max(1),
            zip64_threshold,
            central: Vec::new(),
        }
    }

    fn put(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.out.write_all(bytes)?;
        self.pos += bytes.len() as u64;
        Ok(())
    }

    /// Adds the record `prefix/name` holding `data`, stored, its data aligned.
    pub(crate) fn add(&mut self, name: &str, data: &[u8]) -> io::Result<()> {
        let full = format!("{}/{name}", self.prefix);
        let name_len = u16::try_from(full.len())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "record name too long"))?;
        let size = data.len() as u64;
        let offset = self.pos;
        let big_size = size >= self.zip64_threshold;
        let big_offset = offset >= self.zip64_threshold;
        let mut extra = zip64_extra(size, offset, big_size, big_offset);
        let start = offset + 30 + u64::from(name_len) + extra.len() as u64 + 4;
        let pad = (self.alignment - start % self.alignment) % self.alignment;
        let pad = u16::try_from(pad)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "alignment too large"))?;
        extra.extend_from_slice(b"FB");
        extra.extend_from_slice(&pad.to_le_bytes());
        extra.resize(extra.len() + usize::from(pad), b'Z');
        let extra_len = u16::try_from(extra.len())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "extra field too long"))?;
        let flags = if size == 0 {
            FLAGS_UTF8
        } else {
            FLAGS_DESCRIPTOR_UTF8
        };
        let mut h = Vec::with_capacity(30 + full.len() + extra.len());
        h.extend_from_slice(&LOCAL_SIG.to_le_bytes());
        h.extend_from_slice(&0u16.to_le_bytes()); // version needed
        h.extend_from_slice(&flags.to_le_bytes());
        h.extend_from_slice(&[0u8; 2 + 2 + 2 + 4 + 4 + 4]); // method, time, date, crc, sizes
        h.extend_from_slice(&name_len.to_le_bytes());
        h.extend_from_slice(&extra_len.to_le_bytes());
        h.extend_from_slice(full.as_bytes());
        h.extend_from_slice(&extra);
        self.put(&h)?;
        self.put(data)?;
        let crc = crc32fast::hash(data);
        if size > 0 {
            let mut d = Vec::with_capacity(24);
            d.extend_from_slice(&DESCRIPTOR_SIG.to_le_bytes());
            d.extend_from_slice(&crc.to_le_bytes());
            if big_size || big_offset {
                d.extend_from_slice(&size.to_le_bytes());
                d.extend_from_slice(&size.to_le_bytes());
            } else {
                let s = size as u32; // below the threshold, which is at most u32::MAX
                d.extend_from_slice(&s.to_le_bytes());
                d.extend_from_slice(&s.to_le_bytes());
            }
            self.put(&d)?;
        }
        self.central.push(Central {
            name: full,
            crc,
            size,
            offset,
            flags,
        });
        Ok(())
    }

    /// CRCs of the records written so far, in order.
    pub(crate) fn crcs(&self) -> impl Iterator<Item = (&str, u32)> {
        self.central.iter().map(|c| (c.name.as_str(), c.crc))
    }

    /// Writes the central directory and the end records; returns the output.
    pub(crate) fn finish(mut self) -> io::Result<W> {
        let cd_start = self.pos;
        let central = std::mem::take(&mut self.central);
        let clamp = |v: u64, big: bool| if big { u32::MAX } else { v as u32 };
        for c in &central {
            let big_size = c.size >= self.zip64_threshold;
            let big_offset = c.offset >= self.zip64_threshold;
            let extra = zip64_extra(c.size, c.offset, big_size, big_offset);
            let needed: u16 = if extra.is_empty() { 0 } else { 45 };
            let mut h = Vec::with_capacity(46 + c.name.len() + extra.len());
            h.extend_from_slice(&CENTRAL_SIG.to_le_bytes());
            h.extend_from_slice(&0u16.to_le_bytes()); // made by
            h.extend_from_slice(&needed.to_le_bytes());
            h.extend_from_slice(&c.flags.to_le_bytes());
            h.extend_from_slice(&[0u8; 6]); // method, time, date
            h.extend_from_slice(&c.crc.to_le_bytes());
            h.extend_from_slice(&clamp(c.size, big_size).to_le_bytes());
            h.extend_from_slice(&clamp(c.size, big_size).to_le_bytes());
            h.extend_from_slice(&(c.name.len() as u16).to_le_bytes());
            h.extend_from_slice(&(extra.len() as u16).to_le_bytes());
            h.extend_from_slice(&[0u8; 2 + 2 + 2 + 4]); // comment, disk, attrs
            h.extend_from_slice(&clamp(c.offset, big_offset).to_le_bytes());
            h.extend_from_slice(c.name.as_bytes());
            h.extend_from_slice(&extra);
            self.put(&h)?;
        }
        let cd_size = self.pos - cd_start;
        let n = central.len() as u64;
        let eocd64_at = self.pos;
        let mut e = Vec::with_capacity(56 + 20 + 22);
        e.extend_from_slice(&EOCD64_SIG.to_le_bytes());
        e.extend_from_slice(&44u64.to_le_bytes());
        e.extend_from_slice(&0x031Eu16.to_le_bytes());
        e.extend_from_slice(&45u16.to_le_bytes());
        e.extend_from_slice(&[0u8; 8]); // disk numbers
        e.extend_from_slice(&n.to_le_bytes());
        e.extend_from_slice(&n.to_le_bytes());
        e.extend_from_slice(&cd_size.to_le_bytes());
        e.extend_from_slice(&cd_start.to_le_bytes());
        e.extend_from_slice(&LOCATOR_SIG.to_le_bytes());
        e.extend_from_slice(&0u32.to_le_bytes());
        e.extend_from_slice(&eocd64_at.to_le_bytes());
        e.extend_from_slice(&1u32.to_le_bytes());
        let n16 = u16::try_from(n).unwrap_or(u16::MAX);
        e.extend_from_slice(&EOCD_SIG.to_le_bytes());
        e.extend_from_slice(&[0u8; 4]);
        e.extend_from_slice(&n16.to_le_bytes());
        e.extend_from_slice(&n16.to_le_bytes());
        e.extend_from_slice(&u32::try_from(cd_size).unwrap_or(u32::MAX).to_le_bytes());
        e.extend_from_slice(&u32::try_from(cd_start).unwrap_or(u32::MAX).to_le_bytes());
        e.extend_from_slice(&0u16.to_le_bytes());
        self.put(&e)?;
        self.out.flush()?;
        Ok(self.out)
    }
}

/// The zip64 extended-information extra field for a record whose size and/or offset does not
/// fit in 32 bits (uncompressed and compressed size, then offset, each only when needed);
/// empty when neither is big.
fn zip64_extra(size: u64, offset: u64, big_size: bool, big_offset: bool) -> Vec<u8> {
    let mut extra = Vec::new();
    if big_size || big_offset {
        let body_len: u16 = if big_size { 16 } else { 0 } + if big_offset { 8 } else { 0 };
        extra.extend_from_slice(&1u16.to_le_bytes());
        extra.extend_from_slice(&body_len.to_le_bytes());
        if big_size {
            extra.extend_from_slice(&size.to_le_bytes());
            extra.extend_from_slice(&size.to_le_bytes());
        }
        if big_offset {
            extra.extend_from_slice(&offset.to_le_bytes());
        }
    }
    extra
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::serialize::limits::Limits;
    use crate::serialize::source::SliceSource;
    use crate::serialize::zip::read::ZipArchive;

    fn round_trip(threshold: u64) {
        let mut w = ZipWriter::new(Vec::new(), 0, "arch", 64, threshold);
        w.add("data.pkl", b"hello").unwrap();
        w.add("data/0", &[]).unwrap();
        w.add("data/1", &[7u8; 100]).unwrap();
        let bytes = w.finish().unwrap();
        let mut src = SliceSource(&bytes);
        let z = ZipArchive::open(&mut src, &Limits::default()).unwrap();
        assert_eq!(z.prefix, "arch");
        assert_eq!(
            z.names().collect::<Vec<_>>(),
            vec!["data.pkl", "data/0", "data/1"]
        );
        for name in ["data.pkl", "data/0", "data/1"] {
            let e = z.get(name).unwrap();
            assert_eq!(z.data_offset(&mut src, e).unwrap() % 64, 0, "{name}");
        }
        let d = z
            .read_record(&mut src, "data/1", 1000, "max", true)
            .unwrap()
            .unwrap();
        assert_eq!(d, vec![7u8; 100]);
    }

    #[test]
    fn written_archives_read_back_aligned() {
        round_trip(u64::from(u32::MAX));
        round_trip(0);
    }
}
