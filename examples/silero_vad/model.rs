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

    #[allow(dead_code)]
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
    #[module(skip)]
    stride: usize,
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
            Conv1d::with_options(cin, cout, 3, opts).map(|reparam_conv| EncoderBlock {
                reparam_conv,
                stride,
            })
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
    /// The module-level forward: the reference the fast per-chunk path is tested against.
    #[allow(dead_code)]
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
/// and the LSTM state, plus scratch buffers so a chunk allocates nothing.
pub struct Stream<'m> {
    net: &'m VadNet,
    context: Vec<f32>,
    h: Vec<f32>,
    c: Vec<f32>,
    scratch: Scratch,
}

impl<'m> Stream<'m> {
    /// A fresh stream (`reset_states`).
    pub fn new(net: &'m VadNet) -> Stream<'m> {
        let hidden = net.decoder.rnn.hidden_size;
        Stream {
            net,
            context: vec![0.0; net.context_size],
            h: vec![0.0; hidden],
            c: vec![0.0; hidden],
            scratch: Scratch::default(),
        }
    }

    /// Forgets the context and the LSTM state (`reset_states`).
    pub fn reset_states(&mut self) {
        self.context.fill(0.0);
        self.h.fill(0.0);
        self.c.fill(0.0);
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
        let s = &mut self.scratch;
        s.x.clear();
        s.x.extend_from_slice(&self.context);
        s.x.extend_from_slice(chunk);
        let n = s.x.len();
        self.context
            .copy_from_slice(&s.x[n - self.net.context_size..]);
        fast::forward(self.net, s, &mut self.h, &mut self.c)
    }
}

/// Runs chunks through the module-level forward (tensor ops), keeping the same state as
/// [`Stream`]; the reference its fast path is checked against.
#[allow(dead_code)]
pub fn probs_via_modules(net: &VadNet, chunks: &[Vec<f32>]) -> pt::core::Result<Vec<f32>> {
    let mut h = Tensor::zeros(&[1, net.decoder.rnn.hidden_size], DType::F32);
    let mut c = h.clone();
    let mut context = vec![0.0f32; net.context_size];
    let mut out = Vec::with_capacity(chunks.len());
    for chunk in chunks {
        let mut buf = context.clone();
        buf.extend_from_slice(chunk);
        let x = Tensor::from_slice(&buf, &[1, buf.len()])?;
        let (p, h1, c1) = net.forward(&x, &h, &c)?;
        (h, c) = (h1, c1);
        context.copy_from_slice(&buf[buf.len() - net.context_size..]);
        out.push(p.reshape(&[-1])?.to_vec::<f32>()?[0]);
    }
    Ok(out)
}

/// Reusable buffers of the single-chunk forward.
#[derive(Default)]
struct Scratch {
    x: Vec<f32>,
    spec: Vec<f32>,
    act: Vec<f32>,
    next: Vec<f32>,
    cols: Vec<f32>,
    gates: Vec<f32>,
}

/// The per-chunk forward written as direct loops over the loaded parameters: each layer
/// is a few dot products of a weight row with contiguous input windows (the STFT's frames
/// are windows of the padded signal; the k=3 convs gather a small column per output), so
/// no tensors are built and nothing is allocated once the scratch has grown.
mod fast {
    use super::{Scratch, VadNet};
    use pt::core::{Error, Result, Tensor};

    type Guard<'a> = pt::core::tensor::TensorSlice<'a, f32>;

    fn read(t: &Tensor) -> Result<Guard<'_>> {
        t.read_slice::<f32>()
    }

    pub(super) fn forward(
        net: &VadNet,
        s: &mut Scratch,
        h: &mut [f32],
        c: &mut [f32],
    ) -> Result<f32> {
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx2")
                && std::arch::is_x86_feature_detected!("fma")
            {
                // SAFETY: AVX2 and FMA were detected just above, the only requirement of
                // calling a function compiled with those features.
                return unsafe { forward_avx2(net, s, h, c) };
            }
        }
        forward_impl::<false>(net, s, h, c)
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    fn forward_avx2(net: &VadNet, s: &mut Scratch, h: &mut [f32], c: &mut [f32]) -> Result<f32> {
        forward_impl::<true>(net, s, h, c)
    }

    #[inline(always)]
    fn madd<const FMA: bool>(a: f32, b: f32, acc: f32) -> f32 {
        if FMA { a.mul_add(b, acc) } else { a * b + acc }
    }

    /// `a · b` with 16 independent lanes, so the loop vectorises.
    #[inline(always)]
    #[allow(clippy::needless_range_loop)]
    fn dot<const FMA: bool>(a: &[f32], b: &[f32]) -> f32 {
        #[cfg(target_arch = "x86_64")]
        if FMA {
            // SAFETY: `FMA` is true only in `forward_avx2`, reached after detecting AVX2+FMA.
            return unsafe { dot_avx2(a, b) };
        }
        let n = a.len().min(b.len());
        let (a, b) = (&a[..n], &b[..n]);
        let mut acc = [0.0f32; 16];
        let whole = n / 16 * 16;
        // Fixed-size blocks: the compiler sees 16 lanes and emits vector FMAs.
        for i in (0..whole).step_by(16) {
            let x: &[f32; 16] = a[i..i + 16].try_into().expect("16 lanes");
            let y: &[f32; 16] = b[i..i + 16].try_into().expect("16 lanes");
            for j in 0..16 {
                acc[j] = madd::<FMA>(x[j], y[j], acc[j]);
            }
        }
        let mut tail = 0.0f32;
        for (x, y) in a[whole..].iter().zip(&b[whole..]) {
            tail = madd::<FMA>(*x, *y, tail);
        }
        let s8: [f32; 8] = std::array::from_fn(|j| acc[j] + acc[j + 8]);
        let s4 = [s8[0] + s8[4], s8[1] + s8[5], s8[2] + s8[6], s8[3] + s8[7]];
        (s4[0] + s4[2]) + (s4[1] + s4[3]) + tail
    }

    /// `a · b` with two 8-lane FMA accumulators (LLVM does not vectorise `mul_add` lanes).
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    fn dot_avx2(a: &[f32], b: &[f32]) -> f32 {
        use std::arch::x86_64::*;
        let n = a.len().min(b.len());
        let whole = n / 16 * 16;
        let mut acc0 = _mm256_setzero_ps();
        let mut acc1 = _mm256_setzero_ps();
        for i in (0..whole).step_by(16) {
            let (x, y) = (&a[i..i + 16], &b[i..i + 16]);
            // SAFETY: `x` and `y` hold 16 floats each; unaligned loads.
            unsafe {
                acc0 = _mm256_fmadd_ps(
                    _mm256_loadu_ps(x.as_ptr()),
                    _mm256_loadu_ps(y.as_ptr()),
                    acc0,
                );
                acc1 = _mm256_fmadd_ps(
                    _mm256_loadu_ps(x.as_ptr().add(8)),
                    _mm256_loadu_ps(y.as_ptr().add(8)),
                    acc1,
                );
            }
        }
        let acc = _mm256_add_ps(acc0, acc1);
        let mut lanes = [0.0f32; 8];
        // SAFETY: `lanes` holds 8 floats.
        unsafe { _mm256_storeu_ps(lanes.as_mut_ptr(), acc) };
        let mut sum = ((lanes[0] + lanes[4]) + (lanes[2] + lanes[6]))
            + ((lanes[1] + lanes[5]) + (lanes[3] + lanes[7]));
        for (x, y) in a[whole..n].iter().zip(&b[whole..n]) {
            sum = x.mul_add(*y, sum);
        }
        sum
    }

    fn sigmoid(x: f32) -> f32 {
        1.0 / (1.0 + (-x).exp())
    }

    /// `relu(conv1d(x, w, b, stride, padding=1))` for kernel 3: `x` `(cin, len)` →
    /// `out` `(cout, len_out)`; returns `len_out`.
    #[inline(always)]
    fn conv3_relu<const FMA: bool>(
        x: &[f32],
        len: usize,
        w: &[f32],
        b: Option<&[f32]>,
        stride: usize,
        cols: &mut Vec<f32>,
        out: &mut Vec<f32>,
    ) -> usize {
        let cin = x.len() / len;
        let k = cin * 3;
        let cout = w.len() / k;
        let len_out = (len + 2 - 3) / stride + 1;
        cols.clear();
        cols.resize(len_out * k, 0.0);
        for t in 0..len_out {
            let col = &mut cols[t * k..(t + 1) * k];
            for ch in 0..cin {
                let row = &x[ch * len..(ch + 1) * len];
                for tap in 0..3 {
                    let pos = (t * stride + tap) as isize - 1;
                    col[ch * 3 + tap] = if pos >= 0 && (pos as usize) < len {
                        row[pos as usize]
                    } else {
                        0.0
                    };
                }
            }
        }
        out.clear();
        out.resize(cout * len_out, 0.0);
        for o in 0..cout {
            let wr = &w[o * k..(o + 1) * k];
            let bias = b.map_or(0.0, |b| b[o]);
            for t in 0..len_out {
                let v = dot::<FMA>(wr, &cols[t * k..(t + 1) * k]) + bias;
                out[o * len_out + t] = v.max(0.0);
            }
        }
        len_out
    }

    #[inline(always)]
    fn forward_impl<const FMA: bool>(
        net: &VadNet,
        s: &mut Scratch,
        h: &mut [f32],
        c: &mut [f32],
    ) -> Result<f32> {
        // STFT: reflect-pad on the right, frames are windows of the padded signal.
        let basis_guard = read(&net.stft.forward_basis_buffer)?;
        let basis: &[f32] = &basis_guard;
        let filter = net.stft.forward_basis_buffer.shape()[2];
        let rows = net.stft.forward_basis_buffer.shape()[0];
        let bins = rows / 2;
        let hop = net.stft.hop_length;
        let n = s.x.len();
        let pad = filter / 4;
        if n < pad + 2 || n + pad < filter {
            return Err(Error::shape(
                "silero_vad",
                format!("{n} samples is too short"),
            ));
        }
        for i in 0..pad {
            let v = s.x[n - 2 - i];
            s.x.push(v);
        }
        let frames = (n + pad - filter) / hop + 1;
        s.spec.clear();
        s.spec.resize(rows * frames, 0.0);
        for r in 0..rows {
            let wr = &basis[r * filter..(r + 1) * filter];
            for t in 0..frames {
                s.spec[r * frames + t] = dot::<FMA>(wr, &s.x[t * hop..t * hop + filter]);
            }
        }
        drop(basis_guard);
        s.act.clear();
        for b in 0..bins {
            for t in 0..frames {
                let re = s.spec[b * frames + t];
                let im = s.spec[(b + bins) * frames + t];
                s.act.push((re * re + im * im).sqrt());
            }
        }

        // Encoder: four conv(k=3, padding 1) + ReLU blocks.
        let mut len = frames;
        for block in &net.encoder {
            let conv = &block.reparam_conv;
            let w = read(&conv.weight)?;
            let b = conv.bias.as_ref().map(|b| read(b)).transpose()?;
            let stride = block.stride;
            len = conv3_relu::<FMA>(
                &s.act,
                len,
                &w,
                b.as_deref(),
                stride,
                &mut s.cols,
                &mut s.next,
            );
            std::mem::swap(&mut s.act, &mut s.next);
        }
        if len != 1 {
            return Err(Error::shape(
                "silero_vad",
                format!("encoder output has {len} frames, expected 1"),
            ));
        }

        // LSTMCell, gates (i, f, g, o).
        let rnn = &net.decoder.rnn;
        let hidden = rnn.hidden_size;
        let wih_guard = read(rnn.weight_ih())?;
        let whh_guard = read(rnn.weight_hh())?;
        let (wih, whh): (&[f32], &[f32]) = (&wih_guard, &whh_guard);
        let bih = rnn.bias_ih().map(|b| read(b)).transpose()?;
        let bhh = rnn.bias_hh().map(|b| read(b)).transpose()?;
        let x = &s.act[..];
        let input = x.len();
        s.gates.clear();
        for r in 0..4 * hidden {
            let mut g = dot::<FMA>(&wih[r * input..(r + 1) * input], x)
                + dot::<FMA>(&whh[r * hidden..(r + 1) * hidden], h);
            if let Some(b) = &bih {
                g += b[r];
            }
            if let Some(b) = &bhh {
                g += b[r];
            }
            s.gates.push(g);
        }
        for j in 0..hidden {
            let i = sigmoid(s.gates[j]);
            let f = sigmoid(s.gates[hidden + j]);
            let g = s.gates[2 * hidden + j].tanh();
            let o = sigmoid(s.gates[3 * hidden + j]);
            c[j] = f * c[j] + i * g;
            h[j] = o * c[j].tanh();
        }

        // Head: ReLU, 1x1 conv to one channel, sigmoid.
        let head = &net.decoder.decoder.conv;
        let w = read(&head.weight)?;
        let b = head.bias.as_ref().map(|b| read(b)).transpose()?;
        let mut z = b.map_or(0.0, |b| b[0]);
        for (wj, hj) in w.iter().zip(h.iter()) {
            z = madd::<FMA>(*wj, hj.max(0.0), z);
        }
        Ok(sigmoid(z))
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
