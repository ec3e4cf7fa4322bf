//! Crash-safe save: a child process saves a 64 MiB checkpoint over an existing one and is
//! killed (SIGKILL) at 200 random moments. After every kill the destination is exactly the
//! complete old file or the complete new one, and no temporary file outlives the next save.
//!
//! The child is this same test binary run again with `PT_CRASH_CHILD` set. Slow in a debug
//! build (a 64 MiB save there takes about a second), so it is ignored by default; `.ci/run`
//! runs it with `--release`.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use pt::core::serialize::{self, SaveOptions};
use pt::core::{StateDict, Tensor, Value};

const KILLS: usize = 200;
/// Every this many kills, one child runs to the end: the next save after the kills.
const COMPLETE_EVERY: usize = 20;
const ELEMENTS: usize = 16 << 20; // 64 MiB of f32
const MARKER: &str = "pt-crash-child: saving";

/// Generation `g` of the checkpoint: one 64 MiB tensor and a small one naming `g`.
fn checkpoint(g: u8) -> Value {
    let mut sd = StateDict::new();
    let mut big = vec![f32::from(g) + 0.5; ELEMENTS];
    big[ELEMENTS / 2] = -1.0;
    sd.insert("big", Tensor::from_vec(big, &[ELEMENTS]).unwrap());
    sd.insert("generation", Tensor::from_slice_1d(&[i64::from(g)]));
    sd.to_value()
}

fn temp_files(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "model.pt")
        .collect()
}

/// Starts a child saving generation `g` to `dir/model.pt`; returns once it is about to save.
fn spawn_child(dir: &Path, g: u8) -> std::process::Child {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "crash_safe_save", "--ignored", "--nocapture"])
        .env("PT_CRASH_CHILD", dir)
        .env("PT_CRASH_GENERATION", g.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut lines = BufReader::new(stderr).lines();
    loop {
        match lines.next() {
            Some(Ok(line)) if line == MARKER => break,
            Some(_) => {}
            None => panic!("the child ended before saving"),
        }
    }
    // Keep draining so the child never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    child
}

/// A small deterministic generator (xorshift) for the kill moments.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }
}

fn child_main(dir: &str) {
    let g: u8 = std::env::var("PT_CRASH_GENERATION")
        .unwrap()
        .parse()
        .unwrap();
    let value = checkpoint(g);
    eprintln!("{MARKER}");
    serialize::save(&value, Path::new(dir).join("model.pt")).unwrap();
}

#[test]
#[ignore = "slow in debug builds: .ci/run runs it with --release"]
fn crash_safe_save() {
    if let Ok(dir) = std::env::var("PT_CRASH_CHILD") {
        child_main(&dir);
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model.pt");
    let opts = SaveOptions::new().record_prefix("model");
    let files: Vec<Vec<u8>> = (0..2)
        .map(|g| serialize::save_bytes_with(&checkpoint(g), &opts).unwrap())
        .collect();
    serialize::save(&checkpoint(0), &path).unwrap();
    assert!(std::fs::read(&path).unwrap() == files[0]);
    let mut current = 0u8;

    // How long a save takes here, to spread the kills over it (not asserted).
    let mut child = spawn_child(dir.path(), 1);
    let t = Instant::now();
    assert!(child.wait().unwrap().success());
    let save_time = t.elapsed();
    assert!(std::fs::read(&path).unwrap() == files[1]);
    current = 1 - current;
    assert!(temp_files(dir.path()).is_empty());

    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let (mut kept_old, mut got_new, mut mid_write) = (0, 0, 0);
    for kill in 0..KILLS {
        let next = 1 - current;
        let mut child = spawn_child(dir.path(), next);
        let window = save_time.as_micros() as u64 * 11 / 10;
        std::thread::sleep(Duration::from_micros(rng.below(window)));
        child.kill().unwrap();
        child.wait().unwrap();
        let now = std::fs::read(&path).unwrap();
        if now == files[usize::from(current)] {
            kept_old += 1;
        } else if now == files[usize::from(next)] {
            got_new += 1;
            current = next;
        } else {
            panic!(
                "kill {kill}: model.pt is neither file ({} bytes)",
                now.len()
            );
        }
        if !temp_files(dir.path()).is_empty() {
            mid_write += 1;
        }
        if kill % COMPLETE_EVERY == COMPLETE_EVERY - 1 {
            let next = 1 - current;
            let mut child = spawn_child(dir.path(), next);
            assert!(child.wait().unwrap().success());
            assert!(std::fs::read(&path).unwrap() == files[usize::from(next)]);
            current = next;
            let left = temp_files(dir.path());
            assert!(
                left.is_empty(),
                "after the save following kill {kill}: {left:?}"
            );
        }
    }
    println!(
        "{KILLS} kills: {kept_old} kept the old file, {got_new} had the new one, \
         {mid_write} left a temporary file (removed by the next save)"
    );
    // The kills must land inside saves for the test to mean anything.
    assert!(
        mid_write >= KILLS / 10,
        "only {mid_write} kills interrupted a write"
    );
    assert!(kept_old >= KILLS / 10 && got_new >= 1);
}
