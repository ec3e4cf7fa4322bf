//! Bytes of a pickle, from memory or streamed from a file, with every declared length checked
//! against the bytes that remain before anything is allocated.

use std::borrow::Cow;
use std::io::{BufRead, BufReader, Read};

use crate::serialize::error::{LoadError, Location};
use crate::serialize::source::{RangeReader, Source};

/// Longest text line accepted (`GLOBAL` names, text-form integers and floats).
const MAX_LINE: usize = 1 << 16;

/// A forward-only reader of pickle bytes.
pub(crate) trait Input {
    /// Offset of the next byte, from the start of the pickle (or file, for streams).
    fn pos(&self) -> u64;
    /// Bytes left before the end of the input.
    fn remaining(&self) -> u64;
    /// The next `n` bytes; `n` has been checked against [`Input::remaining`] by the caller.
    fn take(&mut self, n: usize) -> Result<Cow<'_, [u8]>, LoadError>;
    /// The bytes up to (not including) the next `\n`, which is consumed.
    fn line(&mut self) -> Result<Cow<'_, [u8]>, LoadError>;

    /// The total length when the whole pickle is in memory (a sizing hint).
    fn exact_len(&self) -> Option<u64> {
        None
    }

    /// The next byte.
    fn byte(&mut self) -> Result<u8, LoadError> {
        let b = self.take(1)?;
        b.first().copied().ok_or_else(|| eof(0))
    }

    /// The next `N` bytes as an array.
    fn array<const N: usize>(&mut self) -> Result<[u8; N], LoadError> {
        let b = self.take(N)?;
        b.as_ref().try_into().map_err(|_| eof(0))
    }
}

pub(crate) fn eof(pos: u64) -> LoadError {
    LoadError::format("pickle ends before its STOP opcode", Location::at(pos))
}

/// A pickle held in memory.
pub(crate) struct SliceInput<'a> {
    data: &'a [u8],
    pos: usize,
    base: u64,
}

impl<'a> SliceInput<'a> {
    pub(crate) fn new(data: &'a [u8]) -> SliceInput<'a> {
        SliceInput {
            data,
            pos: 0,
            base: 0,
        }
    }
}

impl Input for SliceInput<'_> {
    fn exact_len(&self) -> Option<u64> {
        Some(self.data.len() as u64)
    }

    fn pos(&self) -> u64 {
        self.base + self.pos as u64
    }

    fn remaining(&self) -> u64 {
        (self.data.len() - self.pos) as u64
    }

    fn take(&mut self, n: usize) -> Result<Cow<'_, [u8]>, LoadError> {
        let end = self.pos.checked_add(n).ok_or_else(|| eof(self.pos()))?;
        let s = self
            .data
            .get(self.pos..end)
            .ok_or_else(|| eof(self.pos()))?;
        self.pos = end;
        Ok(Cow::Borrowed(s))
    }

    fn line(&mut self) -> Result<Cow<'_, [u8]>, LoadError> {
        let rest = self.data.get(self.pos..).unwrap_or_default();
        let limit = rest.len().min(MAX_LINE + 1);
        let nl = rest
            .get(..limit)
            .and_then(|r| r.iter().position(|&b| b == b'\n'))
            .ok_or_else(|| {
                LoadError::format(
                    "text argument has no end of line within 64 KiB",
                    Location::at(self.pos()),
                )
            })?;
        let s = rest.get(..nl).unwrap_or_default();
        self.pos += nl + 1;
        Ok(Cow::Borrowed(s))
    }
}

/// A pickle streamed from a source (legacy files, whose pickles have no known length).
pub(crate) struct StreamInput<'s, S: Source + ?Sized> {
    reader: BufReader<RangeReader<'s, S>>,
    pos: u64,
    end: u64,
}

impl<'s, S: Source + ?Sized> StreamInput<'s, S> {
    /// Reads from `start` to the end of the source.
    pub(crate) fn new(src: &'s mut S, start: u64) -> StreamInput<'s, S> {
        let end = src.len();
        let len = end.saturating_sub(start);
        StreamInput {
            reader: BufReader::with_capacity(1 << 16, RangeReader::new(src, start, len)),
            pos: start,
            end,
        }
    }
}

impl<S: Source + ?Sized> Input for StreamInput<'_, S> {
    fn pos(&self) -> u64 {
        self.pos
    }

    fn remaining(&self) -> u64 {
        self.end.saturating_sub(self.pos)
    }

    fn byte(&mut self) -> Result<u8, LoadError> {
        let at = self.pos;
        let buf = self
            .reader
            .fill_buf()
            .map_err(|e| LoadError::io(format!("reading the pickle at byte {at}"), e))?;
        let b = *buf.first().ok_or_else(|| eof(at))?;
        self.reader.consume(1);
        self.pos += 1;
        Ok(b)
    }

    fn take(&mut self, n: usize) -> Result<Cow<'_, [u8]>, LoadError> {
        if n as u64 > self.remaining() {
            return Err(eof(self.pos));
        }
        let mut v = vec![0u8; n];
        self.reader
            .read_exact(&mut v)
            .map_err(|e| LoadError::io(format!("reading the pickle at byte {}", self.pos), e))?;
        self.pos += n as u64;
        Ok(Cow::Owned(v))
    }

    fn line(&mut self) -> Result<Cow<'_, [u8]>, LoadError> {
        let mut v = Vec::new();
        let at = self.pos;
        let mut limited = (&mut self.reader).take(MAX_LINE as u64 + 1);
        limited
            .read_until(b'\n', &mut v)
            .map_err(|e| LoadError::io(format!("reading the pickle at byte {at}"), e))?;
        if v.last() != Some(&b'\n') {
            return Err(LoadError::format(
                "text argument has no end of line within 64 KiB",
                Location::at(at),
            ));
        }
        self.pos += v.len() as u64;
        v.pop();
        Ok(Cow::Owned(v))
    }
}
