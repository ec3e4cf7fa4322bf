//! Parses arbitrary bytes as a sharded-safetensors index (`model.safetensors.index.json`):
//! any outcome but a typed error or a consistent index is a bug.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use pt_core::serialize::ShardedIndex;

fuzz_target!(|data: &[u8]| {
    let at = Path::new("/models/m/model.safetensors.index.json");
    if let Ok(index) = ShardedIndex::parse(data, at) {
        for i in 0..index.shards().len() {
            assert!(index.shard_path(i).is_some());
        }
        for (key, shard) in index.keys() {
            assert_eq!(index.shard_of(key), Some(shard));
        }
    }
});
