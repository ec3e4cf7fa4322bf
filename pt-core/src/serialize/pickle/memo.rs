//! The pickle memo: dense for the sequential indices picklers write, sparse otherwise, so a
//! hostile index cannot make it allocate more than a constant factor of its entries.

use std::collections::HashMap;

use super::machine::Id;

const EMPTY: Id = Id::MAX;

#[derive(Debug, Default)]
pub(super) struct Memo {
    dense: Vec<Id>,
    sparse: HashMap<u32, Id>,
    len: usize,
}

impl Memo {
    /// Number of distinct indices stored.
    pub(super) fn len(&self) -> usize {
        self.len
    }

    pub(super) fn get(&self, index: u32) -> Option<Id> {
        match self.dense.get(index as usize) {
            Some(&id) if id != EMPTY => Some(id),
            Some(_) => None,
            None => self.sparse.get(&index).copied(),
        }
    }

    /// Whether `index` holds nothing yet.
    pub(super) fn is_free(&self, index: u32) -> bool {
        self.get(index).is_none()
    }

    pub(super) fn insert(&mut self, index: u32, id: Id) {
        let i = index as usize;
        if self.is_free(index) {
            self.len += 1;
        }
        if i < self.dense.len() {
            if let Some(slot) = self.dense.get_mut(i) {
                *slot = id;
            }
        } else if i <= 2 * self.len + 256 && !self.sparse.contains_key(&index) {
            self.dense.resize(i + 1, EMPTY);
            if let Some(slot) = self.dense.get_mut(i) {
                *slot = id;
            }
        } else {
            self.sparse.insert(index, id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dense_and_sparse_agree() {
        let mut m = Memo::default();
        m.insert(0, 10);
        m.insert(1, 11);
        m.insert(4_000_000_000, 12);
        m.insert(1, 13);
        assert_eq!(m.len(), 3);
        assert_eq!(m.get(1), Some(13));
        assert_eq!(m.get(4_000_000_000), Some(12));
        assert_eq!(m.get(2), None);
        assert!(m.dense.len() < 300);
    }
}
