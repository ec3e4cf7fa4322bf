//! [`Embedding`].

use pt_core::{DType, Error, Generator, Result, Tensor};

use crate::Module;
use crate::functional;
use crate::init;
use crate::module::Forward;
use crate::parameter::Parameter;

/// A lookup table of `num_embeddings` vectors of size `embedding_dim` (`nn.Embedding`).
#[derive(Module, Clone, Debug)]
#[module(crate = "crate", display, extra_repr = "Embedding::describe")]
pub struct Embedding {
    /// `(num_embeddings, embedding_dim)`.
    pub weight: Parameter,
    /// Number of rows.
    #[module(skip)]
    pub num_embeddings: usize,
    /// Size of each row.
    #[module(skip)]
    pub embedding_dim: usize,
    /// A row initialised to zeros (and, in PyTorch, not trained).
    #[module(skip)]
    pub padding_idx: Option<usize>,
    #[module(training)]
    training: bool,
}

/// Options of [`Embedding`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct EmbeddingOptions {
    /// A row initialised to zeros (none).
    pub padding_idx: Option<usize>,
}

impl Embedding {
    /// `nn.Embedding(num_embeddings, embedding_dim)`: a float32 table drawn from
    /// `N(0, 1)` with the default generator.
    pub fn new(num_embeddings: usize, embedding_dim: usize) -> Embedding {
        let weight = Tensor::zeros(&[num_embeddings, embedding_dim], DType::F32);
        let layer = Embedding {
            weight: Parameter::new(weight),
            num_embeddings,
            embedding_dim,
            padding_idx: None,
            training: true,
        };
        init::with_default_generator(|g| layer.init_with(g))
    }

    /// `nn.Embedding(num_embeddings, embedding_dim, padding_idx=…)`.
    ///
    /// # Errors
    /// [`Error::Argument`] if `padding_idx` is not below `num_embeddings`.
    pub fn with_options(
        num_embeddings: usize,
        embedding_dim: usize,
        options: EmbeddingOptions,
    ) -> Result<Embedding> {
        if let Some(p) = options.padding_idx
            && p >= num_embeddings
        {
            return Err(Error::argument(
                "Embedding",
                format!("padding_idx {p} must be below num_embeddings {num_embeddings}"),
            ));
        }
        let mut layer = Embedding::new(num_embeddings, embedding_dim);
        layer.padding_idx = options.padding_idx;
        if let Some(p) = options.padding_idx {
            layer.weight.select(0, p as isize)?.zero_()?;
        }
        Ok(layer)
    }

    /// Re-draws the table from `N(0, 1)` with `generator`, zeroing the padding row.
    pub fn init_with(mut self, generator: &mut Generator) -> Embedding {
        let weight = init::standard_normal(&[self.num_embeddings, self.embedding_dim], generator);
        if let Some(p) = self.padding_idx
            && let Ok(row) = weight.select(0, p as isize)
        {
            // A fresh float32 row always accepts zeros.
            let _ = row.zero_();
        }
        self.weight = Parameter::new(weight);
        self
    }

    fn describe(&self) -> String {
        let mut s = format!("{}, {}", self.num_embeddings, self.embedding_dim);
        if let Some(p) = self.padding_idx {
            s += &format!(", padding_idx={p}");
        }
        s
    }
}

impl Forward for Embedding {
    /// Looks up integer ids of any shape; the result has one more dimension.
    fn forward(&self, input: &Tensor) -> Result<Tensor> {
        functional::embedding(input, &self.weight)
    }
}
