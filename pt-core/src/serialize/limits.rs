//! [`Limits`]: bounds on every size and count a file declares, checked before allocating.

use super::error::{LoadError, Location};

/// Upper bounds on what a checkpoint may make the loader allocate or do.
///
/// Every length, count and size read from a file is compared with the bytes that really
/// exist *and* with these limits before anything is allocated, so a hostile or corrupt file
/// fails with [`LoadError::Limit`] instead of exhausting memory. The defaults fit real
/// checkpoints with hundreds of thousands of tensors; raise them for unusual files.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Bytes of one pickle (`data.pkl`, or the object pickle of a legacy file).
    pub max_pickle_bytes: u64,
    /// Entries in the pickle memo.
    pub max_memo_entries: u64,
    /// Nested `MARK`s open at once.
    pub max_stack_depth: u64,
    /// Items on the pickle stack (all mark levels together).
    pub max_stack_size: u64,
    /// Bytes of one string, bytes object or long integer.
    pub max_string_len: u64,
    /// Records in a zip archive.
    pub max_archive_entries: u64,
    /// Bytes of all storages allocated by one load (memory-mapped storages are not counted).
    pub max_total_tensor_bytes: u64,
    /// Nesting of containers (lists, dicts, tuples, objects) in the loaded value.
    pub max_nesting: u64,
    /// Objects the unpickler creates plus values it produces: bounds the work and memory
    /// of files that reference one container many times (a "billion laughs" pickle). The
    /// default (8 Mi) fits state dicts of a few hundred thousand tensors and keeps the worst
    /// case near a gigabyte.
    pub max_values: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_pickle_bytes: 1 << 30,
            max_memo_entries: 1 << 24,
            max_stack_depth: 1 << 12,
            max_stack_size: 1 << 24,
            max_string_len: 1 << 28,
            max_archive_entries: 1 << 22,
            max_total_tensor_bytes: 1 << 40,
            max_nesting: 512,
            max_values: 1 << 23,
        }
    }
}

impl Limits {
    /// Limits that never trigger (for trusted files of extreme size). Nesting stays bounded
    /// because deep recursion would overflow the stack.
    pub fn unlimited() -> Limits {
        Limits {
            max_pickle_bytes: u64::MAX,
            max_memo_entries: u64::MAX,
            max_stack_depth: u64::MAX,
            max_stack_size: u64::MAX,
            max_string_len: u64::MAX,
            max_archive_entries: u64::MAX,
            max_total_tensor_bytes: u64::MAX,
            max_nesting: 1024,
            max_values: u64::MAX,
        }
    }

    /// Fails with [`LoadError::Limit`] when `value > max`.
    pub(crate) fn check(
        limit: &'static str,
        value: u64,
        max: u64,
        location: impl FnOnce() -> Location,
    ) -> Result<(), LoadError> {
        if value > max {
            Err(LoadError::Limit {
                limit,
                value,
                max,
                location: location(),
            })
        } else {
            Ok(())
        }
    }
}
