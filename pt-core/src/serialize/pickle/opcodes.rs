//! Pickle opcodes of protocols 0 to 5: one named constant each, and their names and argument
//! layouts ([`info`]). The machine, the scanner and the writer all speak through these.

/// How an opcode's argument is laid out in the stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Arg {
    None,
    /// This many bytes, little-endian when a number.
    Fixed(usize),
    /// A little-endian length of this many bytes, then that many bytes.
    Counted(usize),
    /// One text line.
    Line,
    /// Two text lines (`GLOBAL`, `INST`).
    TwoLines,
}

macro_rules! opcodes {
    ($($name:ident = $byte:expr, $arg:expr;)*) => {
        $(
            #[doc = concat!("`", stringify!($name), "`")]
            pub(crate) const $name: u8 = $byte;
        )*

        /// Name and argument layout of `op`; `None` if no protocol defines it.
        pub(crate) fn info(op: u8) -> Option<(&'static str, Arg)> {
            match op {
                $($name => Some((stringify!($name), $arg)),)*
                _ => None,
            }
        }
    };
}

use Arg::{Counted as C, Fixed as F, Line as L, None as N, TwoLines as T};

opcodes! {
    // Protocol 0 and 1.
    MARK = b'(', N;
    STOP = b'.', N;
    POP = b'0', N;
    POP_MARK = b'1', N;
    DUP = b'2', N;
    FLOAT = b'F', L;
    INT = b'I', L;
    BININT = b'J', F(4);
    BININT1 = b'K', F(1);
    LONG = b'L', L;
    BININT2 = b'M', F(2);
    NONE = b'N', N;
    PERSID = b'P', L;
    BINPERSID = b'Q', N;
    REDUCE = b'R', N;
    STRING = b'S', L;
    BINSTRING = b'T', C(4);
    SHORT_BINSTRING = b'U', C(1);
    UNICODE = b'V', L;
    BINUNICODE = b'X', C(4);
    APPEND = b'a', N;
    BUILD = b'b', N;
    GLOBAL = b'c', T;
    DICT = b'd', N;
    EMPTY_DICT = b'}', N;
    APPENDS = b'e', N;
    GET = b'g', L;
    BINGET = b'h', F(1);
    INST = b'i', T;
    LONG_BINGET = b'j', F(4);
    LIST = b'l', N;
    EMPTY_LIST = b']', N;
    OBJ = b'o', N;
    PUT = b'p', L;
    BINPUT = b'q', F(1);
    LONG_BINPUT = b'r', F(4);
    SETITEM = b's', N;
    TUPLE = b't', N;
    EMPTY_TUPLE = b')', N;
    SETITEMS = b'u', N;
    BINFLOAT = b'G', F(8);
    // Protocol 2.
    PROTO = 0x80, F(1);
    NEWOBJ = 0x81, N;
    EXT1 = 0x82, F(1);
    EXT2 = 0x83, F(2);
    EXT4 = 0x84, F(4);
    TUPLE1 = 0x85, N;
    TUPLE2 = 0x86, N;
    TUPLE3 = 0x87, N;
    NEWTRUE = 0x88, N;
    NEWFALSE = 0x89, N;
    LONG1 = 0x8a, C(1);
    LONG4 = 0x8b, C(4);
    // Protocol 3.
    BINBYTES = b'B', C(4);
    SHORT_BINBYTES = b'C', C(1);
    // Protocol 4.
    SHORT_BINUNICODE = 0x8c, C(1);
    BINUNICODE8 = 0x8d, C(8);
    BINBYTES8 = 0x8e, C(8);
    EMPTY_SET = 0x8f, N;
    ADDITEMS = 0x90, N;
    FROZENSET = 0x91, N;
    NEWOBJ_EX = 0x92, N;
    STACK_GLOBAL = 0x93, N;
    MEMOIZE = 0x94, N;
    FRAME = 0x95, F(8);
    // Protocol 5.
    BYTEARRAY8 = 0x96, C(8);
    NEXT_BUFFER = 0x97, N;
    READONLY_BUFFER = 0x98, N;
}

/// `NAME (0xNN)` for errors, or `0xNN (unknown)`.
pub(crate) fn describe(op: u8) -> String {
    match info(op) {
        Some((name, _)) => format!("{name} (0x{op:02x})"),
        None => format!("0x{op:02x} (unknown)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sixty_eight_distinct_opcodes() {
        let known: Vec<u8> = (0..=255u8).filter(|&b| info(b).is_some()).collect();
        assert_eq!(known.len(), 68);
        assert_eq!(info(BINUNICODE), Some(("BINUNICODE", Arg::Counted(4))));
        assert_eq!(describe(0xff), "0xff (unknown)");
        assert_eq!(describe(EXT1), "EXT1 (0x82)");
    }
}
