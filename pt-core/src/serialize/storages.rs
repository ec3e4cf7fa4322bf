//! The storages of one load: one per key, byte-swapped once, placed by `map_location` and the
//! location registry, charged against the total-bytes limit.

use std::hash::BuildHasher;

use super::error::{LoadError, Location};
use super::limits::Limits;
use super::loaded::StorageInfo;
use super::options::{LoadOptions, MapLocation, StorageTag};
use super::pickle::{PidRequest, StorageRef};
use crate::dtype::DType;
use crate::storage::Storage;
use foldhash::{HashMap as FastMap, fast::RandomState as FastState};

/// The end of a hash chain.
const NONE: usize = usize::MAX;

/// Reverses the bytes of each element (each half of a complex) to change byte order.
pub(crate) fn swap_bytes(bytes: &mut [u8], dtype: DType) {
    let unit = dtype.swap_unit();
    if unit > 1 {
        for chunk in bytes.chunks_exact_mut(unit) {
            chunk.reverse();
        }
    }
}

/// The storages loaded so far.
pub(crate) struct StorageTable<'o> {
    opts: &'o LoadOptions,
    pub(crate) infos: Vec<StorageInfo>,
    /// The first storage (index into `infos`) whose key has this hash; the keys live in
    /// `infos` only, so the index costs no string allocation per storage.
    by_hash: FastMap<u64, usize>,
    /// Per storage: the next storage whose key has the same hash ([`NONE`] ends the chain).
    next: Vec<usize>,
    hasher: FastState,
    total: u64,
}

/// The byte length a persistent id declares: numel × element size.
pub(crate) fn declared_bytes(req: &PidRequest) -> Result<usize, LoadError> {
    req.numel
        .checked_mul(req.dtype.size() as u64)
        .and_then(|n| usize::try_from(n).ok())
        .ok_or_else(|| {
            LoadError::format(
                format!("storage numel {} overflows", req.numel),
                Location::at(req.at).for_tensor(format!("storage key {}", req.key)),
            )
        })
}

impl<'o> StorageTable<'o> {
    pub(crate) fn new(opts: &'o LoadOptions) -> StorageTable<'o> {
        StorageTable::with_capacity(opts, 0)
    }

    /// A table with room for `n` storages: `n` must be a count of things the input really
    /// holds (such as archive records), never a number the input merely declares.
    pub(crate) fn with_capacity(opts: &'o LoadOptions, n: usize) -> StorageTable<'o> {
        let mut by_hash = FastMap::default();
        by_hash.reserve(n);
        StorageTable {
            opts,
            infos: Vec::with_capacity(n),
            by_hash,
            next: Vec::with_capacity(n),
            hasher: FastState::default(),
            total: 0,
        }
    }

    /// The storage already loaded under `key`, checked against the declared length.
    pub(crate) fn existing(
        &self,
        req: &PidRequest,
        nbytes: usize,
    ) -> Result<Option<(Storage, usize)>, LoadError> {
        let Some((i, info)) = self.find(&req.key) else {
            return Ok(None);
        };
        if info.nbytes != nbytes {
            return Err(LoadError::format(
                format!(
                    "storage is referenced as {} bytes of {} and as {nbytes} bytes of {}",
                    info.nbytes, info.dtype, req.dtype
                ),
                Location::at(req.at).for_tensor(format!("storage key {}", req.key)),
            ));
        }
        Ok(Some((info.storage.clone(), i)))
    }

    /// The storage loaded under `key`, with its index.
    fn find(&self, key: &str) -> Option<(usize, &StorageInfo)> {
        let mut i = *self.by_hash.get(&self.hasher.hash_one(key))?;
        loop {
            let info = self.infos.get(i)?;
            if info.key == key {
                return Some((i, info));
            }
            i = *self.next.get(i)?;
        }
    }

    /// Charges `nbytes` of new allocation against `max_total_tensor_bytes`.
    pub(crate) fn charge(&mut self, nbytes: usize, req: &PidRequest) -> Result<(), LoadError> {
        self.total = self.total.saturating_add(nbytes as u64);
        Limits::check(
            "max_total_tensor_bytes",
            self.total,
            self.opts.limits.max_total_tensor_bytes,
            || Location::at(req.at).for_tensor(format!("storage key {}", req.key)),
        )
    }

    /// Registers a freshly read storage: swaps it to host order if `swap`, restores its
    /// location, and returns the reference the pickle gets.
    pub(crate) fn add(
        &mut self,
        req: &PidRequest,
        storage: Storage,
        swap: bool,
    ) -> Result<Storage, LoadError> {
        if swap {
            swap_bytes(&mut storage.write(), req.dtype);
        }
        let (storage, restored) = self.restore(storage, req)?;
        let head = self
            .by_hash
            .insert(self.hasher.hash_one(req.key.as_str()), self.infos.len());
        self.next.push(head.unwrap_or(NONE));
        self.infos.push(StorageInfo {
            key: req.key.clone(),
            dtype: req.dtype,
            location: req.location.clone(),
            restored_location: restored,
            nbytes: storage.nbytes(),
            storage: storage.clone(),
        });
        Ok(storage)
    }

    fn restore(&self, storage: Storage, req: &PidRequest) -> Result<(Storage, String), LoadError> {
        let tag = req.location.as_str();
        let target = match &self.opts.map_location {
            MapLocation::Keep => tag.to_owned(),
            MapLocation::To(t) => t.clone(),
            MapLocation::Map(m) => m.get(tag).cloned().unwrap_or_else(|| tag.to_owned()),
            MapLocation::Fn(f) => {
                let info = StorageTag {
                    key: &req.key,
                    location: tag,
                    dtype: req.dtype,
                    nbytes: storage.nbytes(),
                };
                match f(&info) {
                    Some(t) => return Ok((storage, t)),
                    None => tag.to_owned(),
                }
            }
        };
        let location_error = |message: String| LoadError::Location {
            key: req.key.clone(),
            tag: target.clone(),
            message,
        };
        let (restored, placed) = self
            .opts
            .registry
            .place(&storage, &target)
            .map_err(location_error)?;
        let placed = placed.to_owned();
        if restored.nbytes() != storage.nbytes() {
            return Err(location_error(format!(
                "the deserializer for `{target}` returned {} bytes instead of {}",
                restored.nbytes(),
                storage.nbytes()
            )));
        }
        Ok((restored, placed))
    }

    /// A reference to a whole storage.
    pub(crate) fn whole(storage: Storage, req: &PidRequest) -> StorageRef {
        StorageRef {
            byte_len: storage.nbytes(),
            storage,
            dtype: req.dtype,
            byte_offset: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swaps_per_element_and_per_complex_half() {
        let mut b = [1u8, 2, 3, 4, 5, 6, 7, 8];
        swap_bytes(&mut b, DType::F32);
        assert_eq!(b, [4, 3, 2, 1, 8, 7, 6, 5]);
        let mut b = [1u8, 2, 3, 4, 5, 6, 7, 8];
        swap_bytes(&mut b, DType::C64);
        assert_eq!(b, [4, 3, 2, 1, 8, 7, 6, 5]);
        swap_bytes(&mut b, DType::F64);
        assert_eq!(b, [5, 6, 7, 8, 1, 2, 3, 4]);
        let mut b = [1u8, 2];
        swap_bytes(&mut b, DType::Bool);
        assert_eq!(b, [1, 2]);
    }
}
