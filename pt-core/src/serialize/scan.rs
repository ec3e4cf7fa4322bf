//! A static scan of the pickles in a checkpoint: which globals they reference and which
//! opcodes they use, each global judged by the restricted unpickler's own allowlist.
//!
//! Nothing is built and nothing runs: the scanner decodes opcodes one after the other,
//! skipping their arguments, and only keeps the short strings a `STACK_GLOBAL` may name.
//! Like `torch.serialization.get_unsafe_globals_in_checkpoint`, but it also counts opcodes.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

use super::error::{LoadError, Location};
use super::limits::Limits;
use super::loaded::Format;
use super::options::UnpicklerMode;
use super::pickle::opcodes::{self, *};
use super::pickle::{Global, resolve};
use super::source::{FileSource, SliceSource, Source};
use super::zip::read::ZipArchive;

/// A global referenced by `GLOBAL`, `STACK_GLOBAL` or `INST`, and the loader's verdict.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GlobalUse {
    /// Module as the pickle spells it (`__builtin__`, `posix`).
    pub module: String,
    /// Name (`set`, `system`).
    pub name: String,
    /// How many times the pickles reference it.
    pub count: u64,
    /// `None` if the restricted loader accepts it; otherwise why it is refused.
    pub refusal: Option<String>,
    /// True when [`UnpicklerMode::Inert`] would read it (as an inert record); false for
    /// what is refused in every mode (`os`, `posix`, `builtins.eval`, …).
    pub inert_allowed: bool,
    /// True for numpy's array, dtype and scalar builders: accepted in restricted mode because
    /// they only build data, though torch's `weights_only` needs them allowlisted by hand.
    pub data_only: bool,
}

impl GlobalUse {
    /// `module.name`.
    pub fn qualified(&self) -> String {
        format!("{}.{}", self.module, self.name)
    }

    /// True when the restricted loader accepts this global.
    pub fn is_safe(&self) -> bool {
        self.refusal.is_none()
    }
}

/// One scanned pickle.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PickleScan {
    /// What it is: the record name (`archive/data.pkl`) or the legacy pickle's role.
    pub name: String,
    /// Its length in bytes (up to and including `STOP`).
    pub len: u64,
    /// Highest `PROTO` seen, if any.
    pub protocol: Option<u8>,
    /// Globals in order of first reference.
    pub globals: Vec<GlobalUse>,
    /// Opcode name → count, sorted by name.
    pub opcodes: BTreeMap<&'static str, u64>,
    /// References the scanner could not name (an extension code, or a `STACK_GLOBAL`
    /// whose operands are not plain strings): always judged unsafe.
    pub unresolved: Vec<String>,
}

/// The result of [`scan_file`] / [`scan_bytes`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScanReport {
    /// The container.
    pub format: Format,
    /// Every pickle the loader would read, in file order.
    pub pickles: Vec<PickleScan>,
}

impl ScanReport {
    /// Every distinct global over all pickles (counts summed), in order of first reference.
    pub fn globals(&self) -> Vec<GlobalUse> {
        let mut out: Vec<GlobalUse> = Vec::new();
        for g in self.pickles.iter().flat_map(|p| &p.globals) {
            match out
                .iter_mut()
                .find(|o| o.module == g.module && o.name == g.name)
            {
                Some(o) => o.count += g.count,
                None => out.push(g.clone()),
            }
        }
        out
    }

    /// Opcode counts over all pickles, sorted by name.
    pub fn opcodes(&self) -> BTreeMap<&'static str, u64> {
        let mut out = BTreeMap::new();
        for (k, v) in self.pickles.iter().flat_map(|p| &p.opcodes) {
            *out.entry(*k).or_insert(0) += v;
        }
        out
    }

    /// What makes the file unsafe: refused globals (`module.name`) and unresolved
    /// references, without duplicates. Empty when the restricted loader accepts every
    /// reference.
    pub fn offending(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .globals()
            .iter()
            .filter(|g| !g.is_safe())
            .map(GlobalUse::qualified)
            .collect();
        for u in self.pickles.iter().flat_map(|p| &p.unresolved) {
            if !out.contains(u) {
                out.push(u.clone());
            }
        }
        out
    }

    /// True when every global is one the restricted loader accepts.
    pub fn is_safe(&self) -> bool {
        self.offending().is_empty()
    }
}

const ZIP_MAGIC: &[u8; 4] = b"PK\x03\x04";

/// Scans the checkpoint at `path` (zip, TorchScript or legacy).
///
/// # Errors
/// [`LoadError::Io`] if the file cannot be read; [`LoadError::Format`] for a malformed
/// archive or pickle (unknown opcode, truncated argument, no `data.pkl`); limit errors
/// for records over [`Limits::max_pickle_bytes`].
pub fn scan_file(path: impl AsRef<Path>) -> Result<ScanReport, LoadError> {
    let path = path.as_ref();
    let file =
        File::open(path).map_err(|e| LoadError::io(format!("opening {}", path.display()), e))?;
    let mut src = FileSource::new(file)
        .map_err(|e| LoadError::io(format!("reading {}", path.display()), e))?;
    let mut head = [0u8; 4];
    let is_zip = src.len() >= 4 && src.read_exact_at(0, &mut head).is_ok() && &head == ZIP_MAGIC;
    if is_zip {
        scan_zip(&mut src)
    } else {
        let file = File::open(path)
            .map_err(|e| LoadError::io(format!("opening {}", path.display()), e))?;
        scan_legacy(BufReader::with_capacity(1 << 16, file))
    }
}

/// Scans a checkpoint held in memory.
///
/// # Errors
/// As [`scan_file`], I/O aside.
pub fn scan_bytes(bytes: &[u8]) -> Result<ScanReport, LoadError> {
    if bytes.starts_with(ZIP_MAGIC) {
        scan_zip(&mut SliceSource(bytes))
    } else {
        scan_legacy(bytes)
    }
}

fn scan_zip<S: Source>(src: &mut S) -> Result<ScanReport, LoadError> {
    let limits = Limits::default();
    let archive = ZipArchive::open(src, &limits)?;
    let torchscript = archive.has("constants.pkl");
    let mut names = vec!["data.pkl"];
    if torchscript {
        names.push("constants.pkl");
    }
    let mut pickles = Vec::new();
    for name in names {
        let full = archive.full_name(name);
        let bytes = archive
            .read_record(
                src,
                name,
                limits.max_pickle_bytes,
                "max_pickle_bytes",
                false,
            )?
            .ok_or_else(|| {
                LoadError::format(
                    format!("archive has no `{full}` record"),
                    Location::record(full.clone()),
                )
            })?;
        let scan =
            scan_pickle(&mut &bytes[..], &full, torchscript).map_err(|e| e.in_record(&full))?;
        pickles.push(scan);
    }
    let format = if torchscript {
        Format::TorchScript
    } else {
        Format::Zip
    };
    Ok(ScanReport { format, pickles })
}

/// The roles of the five legacy pickles.
const LEGACY_PICKLES: [&str; 5] = [
    "legacy pickle 1 (magic number)",
    "legacy pickle 2 (protocol version)",
    "legacy pickle 3 (system info)",
    "legacy pickle 4 (object)",
    "legacy pickle 5 (storage keys)",
];

fn scan_legacy<R: BufRead>(reader: R) -> Result<ScanReport, LoadError> {
    let mut counted = Counted {
        inner: reader,
        pos: 0,
    };
    let mut pickles = Vec::new();
    for role in LEGACY_PICKLES {
        let start = counted.pos;
        let scan = scan_pickle(&mut counted, role, false)
            .map_err(|e| e.in_record(&format!("{role}, starting at file byte {start}")))?;
        pickles.push(scan);
    }
    Ok(ScanReport {
        format: Format::Legacy,
        pickles,
    })
}

/// A `BufRead` that knows how many bytes were consumed.
struct Counted<R> {
    inner: R,
    pos: u64,
}

impl<R: BufRead> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Counted<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, amt: usize) {
        self.pos += amt as u64;
        self.inner.consume(amt);
    }
}

/// Strings longer than this are skipped, not kept: no module or class name is that long,
/// and a `STACK_GLOBAL` over a skipped string is reported as unresolved (unsafe).
const MAX_KEPT_STRING: u64 = 4096;
/// Longest text line (`GLOBAL` names, text-form numbers), as the unpickler's limit.
const MAX_LINE: u64 = 1 << 16;

/// What the scanner remembers about pickled strings, to name `STACK_GLOBAL` operands.
#[derive(Default)]
struct Strings {
    /// The last two values pushed: `Some` for a string, `None` for anything else.
    recent: [Option<String>; 2],
    /// Memoized strings by memo index.
    memo: HashMap<u64, String>,
    /// Next `MEMOIZE` index (every memoized value counts, strings or not).
    next_memo: u64,
}

impl Strings {
    fn push(&mut self, s: Option<String>) {
        self.recent.swap(0, 1);
        self.recent[1] = s;
    }

    fn put(&mut self, index: u64) {
        match &self.recent[1] {
            Some(s) => {
                self.memo.insert(index, s.clone());
            }
            None => {
                self.memo.remove(&index);
            }
        }
    }
}

/// Scans one pickle, up to and including its `STOP`.
fn scan_pickle<R: BufRead>(
    r: &mut R,
    name: &str,
    torchscript: bool,
) -> Result<PickleScan, LoadError> {
    let mut pos: u64 = 0;
    let mut out = PickleScan {
        name: name.to_owned(),
        len: 0,
        protocol: None,
        globals: Vec::new(),
        opcodes: BTreeMap::new(),
        unresolved: Vec::new(),
    };
    let mut strings = Strings::default();
    loop {
        let at = pos;
        let op = read_fixed::<1, R>(r, &mut pos)?[0];
        let (op_name, arg) = opcodes::info(op).ok_or_else(|| {
            LoadError::format(
                format!("unknown pickle opcode 0x{op:02x}"),
                Location::at(at),
            )
        })?;
        *out.opcodes.entry(op_name).or_insert(0) += 1;
        let mut pushed: Option<Option<String>> = Some(None);
        match arg {
            Arg::None => {}
            Arg::Fixed(n) => {
                let mut buf = [0u8; 8];
                let b = buf.get_mut(..n).unwrap_or_default();
                read_exact(r, b, &mut pos, at)?;
                let v = u64::from_le_bytes(buf);
                match op {
                    PROTO => {
                        out.protocol = Some(out.protocol.map_or(buf[0], |p| p.max(buf[0])));
                        pushed = None;
                    }
                    BINPUT | LONG_BINPUT => {
                        strings.put(v);
                        pushed = None;
                    }
                    BINGET | LONG_BINGET => pushed = Some(strings.memo.get(&v).cloned()),
                    FRAME => pushed = None,
                    EXT1 | EXT2 | EXT4 => {
                        out.unresolved.push(format!("copyreg extension code {v}"))
                    }
                    _ => {}
                }
            }
            Arg::Counted(width) => {
                let mut buf = [0u8; 8];
                let b = buf.get_mut(..width).unwrap_or_default();
                read_exact(r, b, &mut pos, at)?;
                // BINSTRING and LONG4 lengths are signed; a negative one is corrupt.
                let len = u64::from_le_bytes(buf);
                let negative = width == 4 && matches!(op, BINSTRING | LONG4) && len >= 1 << 31;
                if negative {
                    return Err(LoadError::format(
                        format!("{op_name} has a negative length"),
                        Location::at(at),
                    ));
                }
                let is_text = matches!(
                    op,
                    BINSTRING | SHORT_BINSTRING | BINUNICODE | SHORT_BINUNICODE | BINUNICODE8
                );
                if is_text && len <= MAX_KEPT_STRING {
                    let mut s = vec![0u8; usize::try_from(len).unwrap_or(0)];
                    read_exact(r, &mut s, &mut pos, at)?;
                    pushed = Some(String::from_utf8(s).ok());
                } else {
                    skip(r, len, &mut pos, at)?;
                }
            }
            Arg::Line => {
                let line = read_line(r, &mut pos, at)?;
                match op {
                    PUT => {
                        if let Some(i) = parse_index(&line) {
                            strings.put(i);
                        }
                        pushed = None;
                    }
                    GET => {
                        pushed =
                            Some(parse_index(&line).and_then(|i| strings.memo.get(&i).cloned()))
                    }
                    STRING | UNICODE => {
                        let t = String::from_utf8_lossy(&line);
                        let t = t.trim_matches(|c| c == '\'' || c == '"');
                        pushed = Some(Some(t.to_owned()));
                    }
                    _ => {}
                }
            }
            Arg::TwoLines => {
                let module = read_line(r, &mut pos, at)?;
                let gname = read_line(r, &mut pos, at)?;
                let module = String::from_utf8_lossy(&module).into_owned();
                let gname = String::from_utf8_lossy(&gname).into_owned();
                record_global(&mut out, module, gname, torchscript, at);
            }
        }
        match op {
            MEMOIZE => {
                strings.put(strings.next_memo);
                strings.next_memo += 1;
                pushed = None;
            }
            STACK_GLOBAL => {
                let [module, gname] = std::mem::take(&mut strings.recent);
                match (module, gname) {
                    (Some(m), Some(n)) => record_global(&mut out, m, n, torchscript, at),
                    _ => out.unresolved.push(format!(
                        "STACK_GLOBAL at byte {at} with operands that are not plain strings"
                    )),
                }
            }
            _ => {}
        }
        if let Some(p) = pushed {
            strings.push(p);
        }
        if op == STOP {
            out.len = pos;
            return Ok(out);
        }
    }
}

fn record_global(out: &mut PickleScan, module: String, name: String, torchscript: bool, at: u64) {
    if let Some(g) = out
        .globals
        .iter_mut()
        .find(|g| g.module == module && g.name == name)
    {
        g.count += 1;
        return;
    }
    let restricted = resolve(&module, &name, UnpicklerMode::Restricted, torchscript, at);
    let data_only = matches!(restricted, Ok(Global::Numpy(_)));
    let refusal = restricted.err().map(|e| match e {
        LoadError::UnsafeGlobal { hint, .. } => hint,
        other => other.to_string(),
    });
    let inert_allowed = resolve(&module, &name, UnpicklerMode::Inert, torchscript, at).is_ok();
    out.globals.push(GlobalUse {
        module,
        name,
        count: 1,
        refusal,
        inert_allowed,
        data_only,
    });
}

fn parse_index(line: &[u8]) -> Option<u64> {
    std::str::from_utf8(line).ok()?.trim().parse().ok()
}

fn truncated(at: u64) -> LoadError {
    LoadError::format(
        "pickle ends before its STOP opcode (argument cut short)",
        Location::at(at),
    )
}

fn io_err(e: io::Error, at: u64) -> LoadError {
    if e.kind() == io::ErrorKind::UnexpectedEof {
        truncated(at)
    } else {
        LoadError::io(format!("reading the pickle at byte {at}"), e)
    }
}

fn read_exact<R: Read>(r: &mut R, buf: &mut [u8], pos: &mut u64, at: u64) -> Result<(), LoadError> {
    r.read_exact(buf).map_err(|e| io_err(e, at))?;
    *pos += buf.len() as u64;
    Ok(())
}

fn read_fixed<const N: usize, R: Read>(r: &mut R, pos: &mut u64) -> Result<[u8; N], LoadError> {
    let at = *pos;
    let mut b = [0u8; N];
    r.read_exact(&mut b).map_err(|e| {
        if e.kind() == io::ErrorKind::UnexpectedEof {
            LoadError::format("pickle ends before its STOP opcode", Location::at(at))
        } else {
            LoadError::io(format!("reading the pickle at byte {at}"), e)
        }
    })?;
    *pos += N as u64;
    Ok(b)
}

/// Skips `len` bytes without holding them; fails if fewer remain.
fn skip<R: Read>(r: &mut R, len: u64, pos: &mut u64, at: u64) -> Result<(), LoadError> {
    let copied = io::copy(&mut r.take(len), &mut io::sink()).map_err(|e| io_err(e, at))?;
    *pos += copied;
    if copied == len {
        Ok(())
    } else {
        Err(truncated(at))
    }
}

/// One line without its `\n`, at most [`MAX_LINE`] bytes.
fn read_line<R: BufRead>(r: &mut R, pos: &mut u64, at: u64) -> Result<Vec<u8>, LoadError> {
    let mut v = Vec::new();
    let n = r
        .take(MAX_LINE + 1)
        .read_until(b'\n', &mut v)
        .map_err(|e| io_err(e, at))?;
    *pos += n as u64;
    if v.pop() != Some(b'\n') {
        return Err(LoadError::format(
            "text argument has no end of line within 64 KiB",
            Location::at(at),
        ));
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(p: &[u8]) -> PickleScan {
        scan_pickle(&mut &p[..], "t", false).unwrap()
    }

    #[test]
    fn global_and_stack_global_are_named() {
        // GLOBAL posix system ; STOP
        let s = scan(b"\x80\x02cposix\nsystem\nq\x00.");
        assert_eq!(s.globals.len(), 1);
        assert_eq!(s.globals[0].qualified(), "posix.system");
        assert!(!s.globals[0].is_safe());
        assert!(!s.globals[0].inert_allowed);
        assert_eq!(s.protocol, Some(2));
        assert_eq!(s.opcodes.get("BINPUT"), Some(&1));
        // Protocol 4: SHORT_BINUNICODE 'builtins' MEMOIZE SHORT_BINUNICODE 'eval' MEMOIZE
        // STACK_GLOBAL, then again via BINGET 0 / BINGET 1.
        let mut p = b"\x80\x04\x95\x00\x00\x00\x00\x00\x00\x00\x00".to_vec();
        p.extend_from_slice(b"\x8c\x08builtins\x94\x8c\x04eval\x94\x93\x94");
        p.extend_from_slice(b"h\x00h\x01\x93.");
        let s = scan(&p);
        assert_eq!(s.globals.len(), 1);
        assert_eq!(s.globals[0].qualified(), "builtins.eval");
        assert_eq!(s.globals[0].count, 2);
        assert!(s.unresolved.is_empty());
    }

    #[test]
    fn allowlisted_globals_are_safe() {
        let s = scan(b"\x80\x02ccollections\nOrderedDict\nq\x00)Rq\x01c__builtin__\nset\n.");
        assert!(s.globals.iter().all(GlobalUse::is_safe), "{:?}", s.globals);
        let report = ScanReport {
            format: Format::Zip,
            pickles: vec![s],
        };
        assert!(report.is_safe());
    }

    #[test]
    fn unnamed_stack_global_and_extensions_are_unsafe() {
        let s = scan(b"\x80\x04K\x01K\x02\x93\x82\x05.");
        assert_eq!(s.unresolved.len(), 2, "{:?}", s.unresolved);
        let report = ScanReport {
            format: Format::Zip,
            pickles: vec![s],
        };
        assert!(!report.is_safe());
    }

    #[test]
    fn bad_input_is_an_error_not_a_panic() {
        for bad in [
            &b""[..],
            b"\x80",
            b"\x80\x02X\xff\xff\xff\x00abc",
            b"\x80\x02\xff.",
            b"\x80\x02cposix",
            b"\x80\x02\x8b\xff\xff\xff\xff.",
        ] {
            assert!(scan_pickle(&mut &bad[..], "t", false).is_err(), "{bad:?}");
        }
        assert!(scan_bytes(b"PK\x03\x04garbage").is_err());
    }

    #[test]
    fn long_strings_are_skipped() {
        let mut p = b"\x80\x02X".to_vec();
        p.extend_from_slice(&10_000u32.to_le_bytes());
        p.extend(std::iter::repeat_n(b'a', 10_000));
        p.push(b'.');
        let s = scan(&p);
        assert_eq!(s.len, p.len() as u64);
    }
}
