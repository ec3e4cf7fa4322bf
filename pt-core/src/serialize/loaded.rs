//! [`Loaded`]: a loaded checkpoint with what tools need to know about its container.

use std::collections::HashMap;

use super::options::ByteOrder;
use crate::dtype::DType;
use crate::storage::Storage;
use crate::tensor::Tensor;
use crate::value::Value;

/// The container format of a checkpoint.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// The zip format of `torch.save` since PyTorch 1.6.
    Zip,
    /// The legacy format (PyTorch ≤ 1.5, or `_use_new_zipfile_serialization=False`).
    Legacy,
    /// A TorchScript archive (`torch.jit.save`); its tensors are returned as a state dict.
    TorchScript,
    /// A `.safetensors` file.
    Safetensors,
    /// A sharded checkpoint: an `*.index.json` naming its shard files.
    Sharded,
}

impl Format {
    /// `zip`, `legacy`, `torchscript`, `safetensors` or `sharded`, as in the fixture
    /// descriptions and `pt inspect --json`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Format::Zip => "zip",
            Format::Legacy => "legacy",
            Format::TorchScript => "torchscript",
            Format::Safetensors => "safetensors",
            Format::Sharded => "sharded",
        }
    }
}

/// One storage of a loaded checkpoint.
#[derive(Clone, Debug)]
pub struct StorageInfo {
    /// Its record key (`0`, `1`, …, or a legacy pointer string).
    pub key: String,
    /// The dtype of its first reference (what a byte swap used).
    pub dtype: DType,
    /// The location tag saved in the file (`cpu`, `cuda:0`).
    pub location: String,
    /// Where it was placed after `map_location` and the registry (`cpu` when a device tag
    /// was loaded into host memory by default).
    pub restored_location: String,
    /// Its length in bytes.
    pub nbytes: usize,
    /// The storage itself (shared with every tensor viewing it).
    pub storage: Storage,
}

/// A loaded checkpoint: the value and its container's facts.
#[derive(Clone, Debug)]
pub struct Loaded {
    /// The object the file holds (a TorchScript archive gives a state-dict-like dict).
    pub value: Value,
    /// Container format.
    pub format: Format,
    /// The `.data/version` or `version` record, trimmed (`None` for legacy files).
    pub version: Option<String>,
    /// The `byteorder` record (`None` when absent; always `None` for legacy files).
    pub byteorder: Option<ByteOrder>,
    /// Every storage, in order of first reference in the pickle.
    pub storages: Vec<StorageInfo>,
}

impl Loaded {
    /// The storage a tensor views, if it came from this file.
    pub fn storage_info(&self, tensor: &Tensor) -> Option<&StorageInfo> {
        self.storages
            .iter()
            .find(|s| s.storage.same(tensor.storage()))
    }

    /// A map from [`Storage::id`] to the index in [`Loaded::storages`], for many lookups.
    pub fn storage_index(&self) -> HashMap<usize, usize> {
        self.storages
            .iter()
            .enumerate()
            .map(|(i, s)| (s.storage.id(), i))
            .collect()
    }
}
