//! Silero VAD v6 (PyPI `silero-vad` 6.2.3) in Rust, loaded strictly from the package's own
//! TorchScript archive `silero_vad/data/silero_vad.jit`.
//!
//! ```text
//! cargo run --release --example silero_vad -- [--weights PATH] [--probs | --samples] FILE.wav
//! ```
//!
//! Prints speech segments (`start-end` in seconds, `get_speech_timestamps`' defaults); with
//! `--samples` the same segments in samples of the file's rate; with `--probs` only the
//! speech probability of each full chunk, one per line. Without `--weights` the archive is
//! looked up in `$PT_SILERO_JIT`, then `~/.cache/pt-rs/silero_vad.jit`.
//!
//! The WAV must be 16-bit PCM mono at 16 kHz, 8 kHz or a multiple of 16 kHz (decimated to
//! 16 kHz, as the original does).

mod model;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use model::{SileroVad, Stream, chunks, speech_segments};

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

const FETCH: &str = "the Silero VAD weights were not found. Fetch them with:
    pip download silero-vad==6.2.3 --no-deps
    unzip -j silero_vad-6.2.3-py3-none-any.whl silero_vad/data/silero_vad.jit -d ~/.cache/pt-rs/
then pass --weights PATH, or set PT_SILERO_JIT";

enum Output {
    Seconds,
    Samples,
    Probs,
}

fn default_weights() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("PT_SILERO_JIT") {
        return Some(PathBuf::from(p));
    }
    let home = std::env::var_os("HOME")?;
    let p = PathBuf::from(home).join(".cache/pt-rs/silero_vad.jit");
    p.exists().then_some(p)
}

/// The samples as floats in [-1, 1], decimated to 16 kHz for multiples of it, with the
/// rate the model sees and the decimation step.
fn read_wav(path: &Path) -> Result<(Vec<f32>, u32, usize)> {
    let mut reader =
        hound::WavReader::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let spec = reader.spec();
    if spec.channels != 1
        || spec.bits_per_sample != 16
        || spec.sample_format != hound::SampleFormat::Int
    {
        return Err(format!(
            "{}: expected 16-bit PCM mono, got {} channel(s) of {}-bit {:?}",
            path.display(),
            spec.channels,
            spec.bits_per_sample,
            spec.sample_format
        )
        .into());
    }
    let samples: Vec<f32> = reader
        .samples::<i16>()
        .map(|s| s.map(|v| f32::from(v) / 32768.0))
        .collect::<std::result::Result<_, _>>()?;
    match spec.sample_rate {
        8000 | 16000 => Ok((samples, spec.sample_rate, 1)),
        r if r > 16000 && r.is_multiple_of(16000) => {
            let step = (r / 16000) as usize;
            Ok((samples.into_iter().step_by(step).collect(), 16000, step))
        }
        r => Err(format!(
            "{}: sample rate {r} Hz is not supported (8000, 16000 or a multiple of 16000)",
            path.display()
        )
        .into()),
    }
}

fn main() -> ExitCode {
    let mut weights = None;
    let mut wav = None;
    let mut output = Output::Seconds;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--weights" => weights = args.next().map(PathBuf::from),
            "--probs" => output = Output::Probs,
            "--samples" => output = Output::Samples,
            _ if wav.is_none() && !a.starts_with("--") => wav = Some(PathBuf::from(a)),
            _ => {
                eprintln!("usage: silero_vad [--weights PATH] [--probs | --samples] FILE.wav");
                return ExitCode::from(2);
            }
        }
    }
    let Some(wav) = wav else {
        eprintln!("usage: silero_vad [--weights PATH] [--probs | --samples] FILE.wav");
        return ExitCode::from(2);
    };
    let Some(weights) = weights.or_else(default_weights) else {
        eprintln!("{FETCH}");
        return ExitCode::from(2);
    };
    match run(&weights, &wav, output) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(weights: &Path, wav: &Path, output: Output) -> Result<()> {
    let model = SileroVad::load(weights)?;
    let (audio, rate, step) = read_wav(wav)?;
    let net = model.branch(rate).ok_or("unsupported rate")?;
    let mut stream = Stream::new(net);
    // As get_speech_timestamps: a file starts from fresh state.
    stream.reset_states();
    let mut probs = Vec::new();
    for chunk in chunks(&audio, net.chunk_size) {
        probs.push(stream.process(&chunk)?);
    }
    match output {
        Output::Probs => {
            // Only full chunks, as the issue's `--probs` contract says.
            let full = audio.len() / net.chunk_size;
            for p in &probs[..full] {
                println!("{p}");
            }
        }
        Output::Samples => {
            for (s, e) in speech_segments(&probs, rate, audio.len()) {
                println!("{} {}", s * step, e * step);
            }
        }
        Output::Seconds => {
            for (s, e) in speech_segments(&probs, rate, audio.len()) {
                let r = f64::from(rate);
                println!("{:.3}-{:.3}", s as f64 / r, e as f64 / r);
            }
        }
    }
    Ok(())
}
