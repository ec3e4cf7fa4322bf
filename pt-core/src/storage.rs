//! Shared, mutable, untyped bytes: the memory behind one or many tensors.
//!
//! # Sharing scheme
//! A [`Storage`] is a cheap handle (`Arc`) to one byte buffer. Every tensor viewing the same
//! storage sees every write, as in PyTorch. Soundness comes from an `RwLock` around the bytes:
//! readers take a shared guard, in-place writers an exclusive one, so no data race is possible
//! even when handles are used from several threads. An operation that reads and writes the
//! same storage must not hold both guards at once (it would deadlock); tensor ops copy the
//! source first in that case ([`Storage::same`] tells them).
//!
//! The bytes are either owned (8-byte aligned, so every element type can be viewed in place)
//! or a disjoint region of a private copy-on-write memory map of a checkpoint file, shared by
//! all storages cut from that map.

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use crate::dtype::Pod;

/// Shared, mutable, untyped bytes with a fixed length.
#[derive(Clone)]
pub struct Storage {
    inner: Arc<Inner>,
}

struct Inner {
    nbytes: usize,
    buf: RwLock<Buffer>,
}

enum Buffer {
    /// Owned memory, kept in the vector it was built in (no copy when a kernel hands over its
    /// output). `Vec<u64>` guarantees 8-byte alignment; the narrower vectors come from the
    /// global allocator, which aligns blocks to at least 16 bytes on the supported targets
    /// (`cast_slice` still checks before every typed view).
    Owned(OwnedVec),
    /// A region `[offset, offset + nbytes)` of a private memory map.
    Mapped(MappedRegion),
}

/// A region of a private (copy-on-write) map. Each storage owns its region exclusively; the
/// regions of one map never overlap, which [`Storage::from_mapped_regions`] checks.
struct MappedRegion {
    map: Arc<MapCell>,
    offset: usize,
}

/// Owns the map. Storages reach their regions only through [`MapCell::base`], a pointer that
/// `MmapRaw` hands out for reading and writing (never one derived from a `&[u8]` over the whole
/// map), so no reference to the whole map ever exists while regions are borrowed.
struct MapCell {
    map: memmap2::MmapRaw,
}

impl MapCell {
    fn base(&self) -> *mut u8 {
        self.map.as_mut_ptr()
    }
}

/// An owned vector of plain words of one width; its bytes are the storage.
enum OwnedVec {
    W8(Vec<u64>),
    W4(Vec<u32>),
    W2(Vec<u16>),
    W1(Vec<u8>),
}

impl OwnedVec {
    /// Adopts `v`'s allocation when a word type of the same size and alignment exists,
    /// otherwise copies it into 8-byte words.
    fn adopt<T: Pod>(v: Vec<T>) -> OwnedVec {
        fn fallback<T: Pod>(v: Vec<T>) -> OwnedVec {
            let bytes: &[u8] = bytemuck::cast_slice(&v);
            let mut words = vec![0u64; bytes.len().div_ceil(8)];
            bytemuck::cast_slice_mut::<u64, u8>(&mut words)[..bytes.len()].copy_from_slice(bytes);
            OwnedVec::W8(words)
        }
        match std::mem::size_of::<T>() {
            8 => bytemuck::allocation::try_cast_vec(v)
                .map(OwnedVec::W8)
                .unwrap_or_else(|(_, v)| fallback(v)),
            4 => bytemuck::allocation::try_cast_vec(v)
                .map(OwnedVec::W4)
                .unwrap_or_else(|(_, v)| fallback(v)),
            2 => bytemuck::allocation::try_cast_vec(v)
                .map(OwnedVec::W2)
                .unwrap_or_else(|(_, v)| fallback(v)),
            1 => bytemuck::allocation::try_cast_vec(v)
                .map(OwnedVec::W1)
                .unwrap_or_else(|(_, v)| fallback(v)),
            _ => fallback(v),
        }
    }

    fn bytes(&self) -> &[u8] {
        match self {
            OwnedVec::W8(v) => bytemuck::cast_slice(v),
            OwnedVec::W4(v) => bytemuck::cast_slice(v),
            OwnedVec::W2(v) => bytemuck::cast_slice(v),
            OwnedVec::W1(v) => v,
        }
    }

    fn bytes_mut(&mut self) -> &mut [u8] {
        match self {
            OwnedVec::W8(v) => bytemuck::cast_slice_mut(v),
            OwnedVec::W4(v) => bytemuck::cast_slice_mut(v),
            OwnedVec::W2(v) => bytemuck::cast_slice_mut(v),
            OwnedVec::W1(v) => v,
        }
    }
}

impl Buffer {
    fn bytes(&self, nbytes: usize) -> &[u8] {
        match self {
            Buffer::Owned(v) => &v.bytes()[..nbytes],
            Buffer::Mapped(r) => {
                // SAFETY: `[offset, offset + nbytes)` lies inside the map and overlaps no
                // other storage's region (both checked in `from_mapped_regions`); the map is
                // mapped, readable and initialised for as long as `r.map` lives, which outlives
                // `&self` (and the file is not changed by others while mapped, the contract
                // under which the map was made). The only other borrows of these bytes are the shared ones of readers
                // of this storage: a writer needs this storage's write lock, and the caller
                // holds its read lock (or `&mut`).
                unsafe { std::slice::from_raw_parts(r.map.base().add(r.offset), nbytes) }
            }
        }
    }

    fn bytes_mut(&mut self, nbytes: usize) -> &mut [u8] {
        match self {
            Buffer::Owned(v) => &mut v.bytes_mut()[..nbytes],
            Buffer::Mapped(r) => {
                // SAFETY: as in `bytes` for the bounds and lifetime. The map is private and
                // writable (copy-on-write, `MmapRaw::as_mut_ptr` grants writes), and `&mut self`
                // means the caller holds this storage's write lock: no other borrow of this
                // region exists, and other storages' regions are disjoint from it.
                unsafe { std::slice::from_raw_parts_mut(r.map.base().add(r.offset), nbytes) }
            }
        }
    }
}

impl Storage {
    /// A zero-filled storage of `nbytes` bytes.
    ///
    /// # Panics
    /// Panics if the allocation fails, like `Vec`. Callers that take sizes from untrusted
    /// input must bound them first (see `serialize::Limits`).
    pub fn zeroed(nbytes: usize) -> Storage {
        let words = nbytes.div_ceil(8);
        Storage::from_buffer(nbytes, Buffer::Owned(OwnedVec::W8(vec![0u64; words])))
    }

    /// A storage that takes over `values` (no zeroing, no copy when the vector's alignment
    /// allows, which holds for every real and half-precision type). Kernels build their
    /// output this way.
    pub fn from_vec<T: Pod>(values: Vec<T>) -> Storage {
        let nbytes = std::mem::size_of_val(values.as_slice());
        Storage::from_buffer(nbytes, Buffer::Owned(OwnedVec::adopt(values)))
    }

    /// A storage holding a copy of `bytes`.
    pub fn from_bytes(bytes: &[u8]) -> Storage {
        let s = Storage::zeroed(bytes.len());
        s.write().copy_from_slice(bytes);
        s
    }

    /// A storage holding a copy of a typed slice.
    pub fn from_slice<T: Pod>(values: &[T]) -> Storage {
        Storage::from_bytes(bytemuck::cast_slice(values))
    }

    /// Cuts storages out of a private (copy-on-write) memory map: one per `(offset, nbytes)`
    /// region. The map is kept alive by the storages; writes stay in this process.
    ///
    /// # Errors
    /// Returns the index of the first region that is out of bounds or overlaps another.
    pub fn from_mapped_regions(
        map: memmap2::MmapMut,
        regions: &[(usize, usize)],
    ) -> Result<Vec<Storage>, usize> {
        let len = map.len();
        let mut order: Vec<usize> = (0..regions.len()).collect();
        order.sort_by_key(|&i| regions[i].0);
        let mut end_prev = 0usize;
        for &i in &order {
            let (off, n) = regions[i];
            let end = off.checked_add(n).ok_or(i)?;
            if end > len || (n > 0 && off < end_prev) {
                return Err(i);
            }
            if n > 0 {
                end_prev = end;
            }
        }
        let cell = Arc::new(MapCell {
            map: memmap2::MmapRaw::from(map),
        });
        Ok(regions
            .iter()
            .map(|&(offset, nbytes)| {
                Storage::from_buffer(
                    nbytes,
                    Buffer::Mapped(MappedRegion {
                        map: Arc::clone(&cell),
                        offset,
                    }),
                )
            })
            .collect())
    }

    fn from_buffer(nbytes: usize, buf: Buffer) -> Storage {
        Storage {
            inner: Arc::new(Inner {
                nbytes,
                buf: RwLock::new(buf),
            }),
        }
    }

    /// Length in bytes (PyTorch's `untyped_storage().nbytes()`).
    pub fn nbytes(&self) -> usize {
        self.inner.nbytes
    }

    /// True when this storage is backed by a memory map rather than owned memory.
    pub fn is_mapped(&self) -> bool {
        matches!(*self.lock_read(), Buffer::Mapped(_))
    }

    /// True when both handles refer to the same storage (PyTorch's `data_ptr` equality).
    pub fn same(&self, other: &Storage) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    /// An identifier stable for the storage's lifetime, equal for handles of one storage.
    pub fn id(&self) -> usize {
        Arc::as_ptr(&self.inner) as usize
    }

    /// Number of live handles to this storage.
    pub fn handle_count(&self) -> usize {
        Arc::strong_count(&self.inner)
    }

    /// Shared access to the bytes. Blocks while a writer holds the storage.
    pub fn read(&self) -> StorageRead<'_> {
        StorageRead {
            guard: self.lock_read(),
            nbytes: self.inner.nbytes,
        }
    }

    /// Exclusive access to the bytes. Blocks while any reader or writer holds the storage.
    pub fn write(&self) -> StorageWrite<'_> {
        StorageWrite {
            guard: self
                .inner
                .buf
                .write()
                .unwrap_or_else(|poison| poison.into_inner()),
            nbytes: self.inner.nbytes,
        }
    }

    fn lock_read(&self) -> RwLockReadGuard<'_, Buffer> {
        // A panic while writing leaves plain bytes behind, never a broken invariant, so a
        // poisoned lock is still safe to use.
        self.inner
            .buf
            .read()
            .unwrap_or_else(|poison| poison.into_inner())
    }

    /// A new owned storage with a copy of these bytes.
    pub fn deep_copy(&self) -> Storage {
        Storage::from_bytes(&self.read())
    }
}

impl fmt::Debug for Storage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Storage")
            .field("nbytes", &self.nbytes())
            .field("mapped", &self.is_mapped())
            .finish()
    }
}

/// A shared borrow of a storage's bytes. Derefs to `[u8]`.
pub struct StorageRead<'a> {
    guard: RwLockReadGuard<'a, Buffer>,
    nbytes: usize,
}

impl StorageRead<'_> {
    /// The bytes viewed as elements of `T`; trailing bytes that do not fill an element are
    /// not included.
    pub fn as_slice<T: Pod>(&self) -> &[T] {
        cast_slice(self.guard.bytes(self.nbytes))
    }
}

impl Deref for StorageRead<'_> {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        self.guard.bytes(self.nbytes)
    }
}

impl fmt::Debug for StorageRead<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StorageRead({} bytes)", self.nbytes)
    }
}

/// An exclusive borrow of a storage's bytes. Derefs to `[u8]` mutably.
pub struct StorageWrite<'a> {
    guard: RwLockWriteGuard<'a, Buffer>,
    nbytes: usize,
}

impl StorageWrite<'_> {
    /// The bytes viewed as elements of `T`.
    pub fn as_slice<T: Pod>(&self) -> &[T] {
        cast_slice(self.guard.bytes(self.nbytes))
    }

    /// The bytes viewed as mutable elements of `T`.
    pub fn as_mut_slice<T: Pod>(&mut self) -> &mut [T] {
        let nbytes = self.nbytes;
        cast_slice_mut(self.guard.bytes_mut(nbytes))
    }
}

impl Deref for StorageWrite<'_> {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        self.guard.bytes(self.nbytes)
    }
}

impl DerefMut for StorageWrite<'_> {
    fn deref_mut(&mut self) -> &mut [u8] {
        let nbytes = self.nbytes;
        self.guard.bytes_mut(nbytes)
    }
}

impl fmt::Debug for StorageWrite<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StorageWrite({} bytes)", self.nbytes)
    }
}

fn cast_slice<T: Pod>(bytes: &[u8]) -> &[T] {
    let whole = bytes.len() / std::mem::size_of::<T>() * std::mem::size_of::<T>();
    // Panics only on misalignment, which owned buffers and the loader's mapped regions rule out.
    bytemuck::cast_slice(&bytes[..whole])
}

fn cast_slice_mut<T: Pod>(bytes: &mut [u8]) -> &mut [T] {
    let whole = bytes.len() / std::mem::size_of::<T>() * std::mem::size_of::<T>();
    bytemuck::cast_slice_mut(&mut bytes[..whole])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles_share_writes() {
        let a = Storage::from_slice(&[1.0f32, 2.0, 3.0]);
        let b = a.clone();
        b.write().as_mut_slice::<f32>()[1] = 20.0;
        assert_eq!(a.read().as_slice::<f32>(), &[1.0, 20.0, 3.0]);
        assert!(a.same(&b));
        assert_eq!(a.nbytes(), 12);
        assert!(!a.same(&a.deep_copy()));
        let v = Storage::from_vec(vec![1.5f32, -2.0]);
        assert_eq!(v.read().as_slice::<f32>(), &[1.5, -2.0]);
        let c = Storage::from_vec(vec![crate::Complex32::new(1.0, 2.0)]);
        assert_eq!(c.read().as_slice::<f32>(), &[1.0, 2.0]);
    }

    #[test]
    fn odd_lengths_round_down() {
        let s = Storage::from_bytes(&[1, 2, 3, 4, 5]);
        assert_eq!(s.read().as_slice::<u32>().len(), 1);
        assert_eq!(&s.read()[..], &[1, 2, 3, 4, 5]);
    }

    #[test]
    fn mapped_regions_are_checked_and_private() {
        let mut map = memmap2::MmapMut::map_anon(64).unwrap();
        map[8] = 7;
        assert_eq!(
            Storage::from_mapped_regions(
                memmap2::MmapMut::map_anon(64).unwrap(),
                &[(0, 16), (8, 8)]
            )
            .unwrap_err(),
            1
        );
        assert_eq!(
            Storage::from_mapped_regions(memmap2::MmapMut::map_anon(64).unwrap(), &[(60, 8)])
                .unwrap_err(),
            0
        );
        let st = Storage::from_mapped_regions(map, &[(0, 8), (8, 8), (16, 0)]).unwrap();
        assert!(st[1].is_mapped());
        assert_eq!(st[1].read()[0], 7);
        st[1].write()[0] = 9;
        assert_eq!(st[1].read()[0], 9);
        assert_eq!(st[0].read()[0], 0);
    }

    #[test]
    fn regions_of_one_map_are_written_from_threads_at_once() {
        let map = memmap2::MmapMut::map_anon(4096).unwrap();
        let regions: Vec<(usize, usize)> = (0..8).map(|i| (i * 512, 512)).collect();
        let st = Storage::from_mapped_regions(map, &regions).unwrap();
        std::thread::scope(|s| {
            for (i, storage) in st.iter().enumerate() {
                s.spawn(move || {
                    for round in 0..100u8 {
                        let mut w = storage.write();
                        w.fill(round.wrapping_add(i as u8));
                        drop(w);
                        let r = storage.read();
                        assert!(r.iter().all(|&b| b == round.wrapping_add(i as u8)));
                    }
                });
            }
        });
        for (i, storage) in st.iter().enumerate() {
            assert!(storage.read().iter().all(|&b| b == 99 + i as u8));
        }
    }
}
