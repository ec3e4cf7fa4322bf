//! Silero VAD v6 as `#[derive(Module)]` structs mirroring the TorchScript module tree, so
//! the archive's state dict (`_model.stft.forward_basis_buffer`,
//! `_model.encoder.0.reparam_conv.weight`, `_model.decoder.rnn.weight_ih`,
//! `_model.decoder.decoder.2.weight`, and the same under `_model_8k`) loads strictly.

use std::path::Path;

use pt::core::{DType, Tensor};
use pt::nn::functional;
use pt::nn::{
    Conv1d, Conv1dOptions, ConvPadding, Forward, LSTMCell, LoadStateDictOptions, Module,
    ReflectionPad1d,
};

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// The STFT front end: reflect-pad on the right, then a strided convolution with the
/// stacked (real; imaginary) Fourier basis, then the magnitude.
#[derive(Module)]
pub struct Stft {
    #[module(buffer)]
    pub forward_basis_buffer: Tensor,
    pub padding: ReflectionPad1d,
    #[module(skip)]
    hop_length: usize,
}

impl Stft {
    fn new(filter_length: usize, hop_length: usize) -> Stft {
        Stft {
            forward_basis_buffer: Tensor::zeros(&[filter_length + 2, 1, filter_length], DType::F32),
            padding: ReflectionPad1d::with_sides([0, filter_length / 4]),
            hop_length,
        }
    }

    /// `(N, samples)` → magnitudes `(N, filter/2 + 1, frames)`.
    fn forward(&self, x: &Tensor) -> pt::core::Result<Tensor> {
        let padded = self.padding.forward(x)?.unsqueeze(1)?;
        let opts = pt::core::ops::Conv1dOptions {
            stride: self.hop_length,
            ..Default::default()
        };
        let t = functional::conv1d(&padded, &self.forward_basis_buffer, None, opts)?;
        let bins = self.forward_basis_buffer.shape()[0] / 2;
        let re = t.narrow(1, 0, bins)?;
        let im = t.narrow(1, bins as isize, bins)?;
        re.mul(&re)?.add(&im.mul(&im)?)?.sqrt()
    }
}

/// One encoder block: `relu(reparam_conv(x))` (its `se` is an Identity).
#[derive(Module)]
pub struct EncoderBlock {
    pub reparam_conv: Conv1d,
}

/// The decoder's `Sequential(Dropout, ReLU, Conv1d, Sigmoid)`: only index 2 has state.
#[derive(Module)]
pub struct Head {
    #[module(rename = "2")]
    pub conv: Conv1d,
}

/// `rnn` (an LSTMCell) then the head.
#[derive(Module)]
pub struct Decoder {
    pub rnn: LSTMCell,
    pub decoder: Head,
}

/// One sample-rate branch (`VADRNNJIT`).
#[derive(Module)]
pub struct VadNet {
    pub stft: Stft,
    pub encoder: Vec<EncoderBlock>,
    pub decoder: Decoder,
    #[module(skip)]
    pub context_size: usize,
    #[module(skip)]
    pub chunk_size: usize,
}

impl VadNet {
    fn new(
        filter_length: usize,
        hop: usize,
        context_size: usize,
        chunk_size: usize,
    ) -> Result<VadNet> {
        let conv = |cin, cout, stride| {
            let opts = Conv1dOptions {
                stride,
                padding: ConvPadding::Explicit(1),
                ..Default::default()
            };
            Conv1d::with_options(cin, cout, 3, opts)
                .map(|reparam_conv| EncoderBlock { reparam_conv })
        };
        Ok(VadNet {
            stft: Stft::new(filter_length, hop),
            encoder: vec![
                conv(filter_length / 2 + 1, 128, 1)?,
                conv(128, 64, 2)?,
                conv(64, 64, 2)?,
                conv(64, 128, 1)?,
            ],
            decoder: Decoder {
                rnn: LSTMCell::new(128, 128),
                decoder: Head {
                    conv: Conv1d::new(128, 1, 1)?,
                },
            },
            context_size,
            chunk_size,
        })
    }

    /// `x` `(N, context + chunk)`, state `(h, c)` → probabilities `(N, 1)` and the new state.
    pub fn forward(
        &self,
        x: &Tensor,
        h: &Tensor,
        c: &Tensor,
    ) -> pt::core::Result<(Tensor, Tensor, Tensor)> {
        let mut y = self.stft.forward(x)?;
        for block in &self.encoder {
            y = block.reparam_conv.forward(&y)?.relu()?;
        }
        let (h1, c1) = self
            .decoder
            .rnn
            .forward(&y.squeeze_dim(-1)?, Some((h, c)))?;
        let z = self
            .decoder
            .decoder
            .conv
            .forward(&h1.unsqueeze(-1)?.relu()?)?
            .sigmoid()?;
        let p = z.squeeze_dim(1)?.mean_dims(&[1], false)?.unsqueeze(1)?;
        Ok((p, h1, c1))
    }
}

/// The whole model (`VADRNNJITMerge`): a 16 kHz and an 8 kHz branch.
#[derive(Module)]
pub struct SileroVad {
    #[module(rename = "_model")]
    pub model_16k: VadNet,
    #[module(rename = "_model_8k")]
    pub model_8k: VadNet,
}

impl SileroVad {
    /// The architecture with placeholder weights.
    pub fn new() -> Result<SileroVad> {
        Ok(SileroVad {
            model_16k: VadNet::new(256, 128, 64, 512)?,
            model_8k: VadNet::new(128, 64, 32, 256)?,
        })
    }

    /// Loads the weights strictly from the TorchScript archive `silero_vad.jit`.
    pub fn load(path: &Path) -> Result<SileroVad> {
        let state = pt::core::serialize::Checkpoint::open(path)
            .and_then(|c| c.state_dict())
            .map_err(|e| format!("reading {}: {e}", path.display()))?;
        let mut model = SileroVad::new()?;
        model.load_state_dict(&state, &LoadStateDictOptions::new())?;
        model.eval();
        Ok(model)
    }

    /// The branch for a (decimated) sample rate of 16000 or 8000.
    pub fn branch(&self, sample_rate: u32) -> Option<&VadNet> {
        match sample_rate {
            16000 => Some(&self.model_16k),
            8000 => Some(&self.model_8k),
            _ => None,
        }
    }
}

/// Streaming state as the original keeps it between calls: the last `context` samples
/// and the LSTM state.
pub struct Stream<'m> {
    net: &'m VadNet,
    context: Vec<f32>,
    h: Tensor,
    c: Tensor,
    buf: Vec<f32>,
}

impl<'m> Stream<'m> {
    /// A fresh stream (`reset_states`).
    pub fn new(net: &'m VadNet) -> Stream<'m> {
        Stream {
            net,
            context: vec![0.0; net.context_size],
            h: Tensor::zeros(&[1, 128], DType::F32),
            c: Tensor::zeros(&[1, 128], DType::F32),
            buf: Vec::with_capacity(net.context_size + net.chunk_size),
        }
    }

    /// Forgets the context and the LSTM state (`reset_states`).
    pub fn reset_states(&mut self) {
        *self = Stream::new(self.net);
    }

    /// The speech probability of one chunk of exactly `chunk_size` samples.
    pub fn process(&mut self, chunk: &[f32]) -> pt::core::Result<f32> {
        if chunk.len() != self.net.chunk_size {
            return Err(pt::core::Error::shape(
                "silero_vad",
                format!(
                    "Provided number of samples is {} (Supported values: 256 for 8000 sample rate, 512 for 16000)",
                    chunk.len()
                ),
            ));
        }
        self.buf.clear();
        self.buf.extend_from_slice(&self.context);
        self.buf.extend_from_slice(chunk);
        let x = Tensor::from_slice(&self.buf, &[1, self.buf.len()])?;
        let (p, h, c) = self.net.forward(&x, &self.h, &self.c)?;
        self.h = h;
        self.c = c;
        let n = self.buf.len();
        self.context
            .copy_from_slice(&self.buf[n - self.net.context_size..]);
        p.reshape(&[-1])?.to_vec::<f32>().map(|v| v[0])
    }
}

/// `get_speech_timestamps_from_probs` with the original's defaults (threshold 0.5,
/// min_speech 250 ms, min_silence 100 ms, speech_pad 30 ms, no maximum speech length):
/// `(start, end)` in samples of the (decimated) rate, before multiplying by `step`.
pub fn speech_segments(probs: &[f32], sample_rate: u32, audio_len: usize) -> Vec<(usize, usize)> {
    let sr = f64::from(sample_rate);
    let window = if sample_rate == 16000 { 512 } else { 256 };
    let threshold = 0.5f32;
    let neg_threshold = (threshold - 0.15).max(0.01);
    let min_speech = sr * 250.0 / 1000.0;
    let pad = sr * 30.0 / 1000.0;
    let min_silence = sr * 100.0 / 1000.0;
    let audio_len_f = audio_len as f64;
    let mut triggered = false;
    let mut speeches: Vec<(f64, f64)> = Vec::new();
    let mut start: Option<f64> = None;
    let mut temp_end = 0usize;
    for (i, &p) in probs.iter().enumerate() {
        let cur = window * i;
        if p >= threshold && temp_end != 0 {
            temp_end = 0;
        }
        if p >= threshold && !triggered {
            triggered = true;
            start = Some(cur as f64);
            continue;
        }
        if p < neg_threshold && triggered {
            if temp_end == 0 {
                temp_end = cur;
            }
            if ((cur - temp_end) as f64) < min_silence {
                continue;
            }
            let s = start.take().unwrap_or(0.0);
            let e = temp_end as f64;
            if e - s > min_speech {
                speeches.push((s, e));
            }
            temp_end = 0;
            triggered = false;
            continue;
        }
    }
    if let Some(s) = start
        && audio_len_f - s > min_speech
    {
        speeches.push((s, audio_len_f));
    }
    let n = speeches.len();
    for i in 0..n {
        if i == 0 {
            speeches[i].0 = (speeches[i].0 - pad).max(0.0).trunc();
        }
        if i + 1 != n {
            let silence = speeches[i + 1].0 - speeches[i].1;
            if silence < 2.0 * pad {
                speeches[i].1 += (silence / 2.0).floor().trunc();
                speeches[i + 1].0 = (speeches[i + 1].0 - (silence / 2.0).floor())
                    .max(0.0)
                    .trunc();
            } else {
                speeches[i].1 = (speeches[i].1 + pad).min(audio_len_f).trunc();
                speeches[i + 1].0 = (speeches[i + 1].0 - pad).max(0.0).trunc();
            }
        } else {
            speeches[i].1 = (speeches[i].1 + pad).min(audio_len_f).trunc();
        }
    }
    speeches
        .into_iter()
        .map(|(s, e)| (s as usize, e as usize))
        .collect()
}

/// Pads the tail with zeros to whole chunks (as `get_speech_timestamps` does).
pub fn chunks(audio: &[f32], size: usize) -> impl Iterator<Item = Vec<f32>> + '_ {
    audio.chunks(size).map(move |c| {
        let mut v = c.to_vec();
        v.resize(size, 0.0);
        v
    })
}
