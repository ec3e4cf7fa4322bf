//! torchvision's ResNet-18 as `#[derive(Module)]` structs with torchvision's module names
//! (`conv1`, `bn1`, `layer1.0.conv1`, `layer2.0.downsample.0`, `fc`, …), so a
//! `resnet18().state_dict()` saved with `torch.save` loads strictly.

use pt::core::{Result, Tensor};
use pt::nn::{
    AdaptiveAvgPool2d, BatchNorm2d, Conv2d, Conv2dOptions, ConvPadding, Forward, Linear, MaxPool2d,
    Module, ReLU, Sequential,
};

fn conv(cin: usize, cout: usize, k: usize, stride: usize, pad: usize) -> Conv2d {
    let opts = Conv2dOptions {
        stride: (stride, stride),
        padding: ConvPadding::Explicit((pad, pad)),
        bias: false,
        ..Default::default()
    };
    Conv2d::with_options(cin, cout, k, opts).expect("valid convolution")
}

/// Two 3×3 convolutions with a residual connection (torchvision's `BasicBlock`).
#[derive(Module)]
pub struct BasicBlock {
    pub conv1: Conv2d,
    pub bn1: BatchNorm2d,
    pub relu: ReLU,
    pub conv2: Conv2d,
    pub bn2: BatchNorm2d,
    /// 1×1 strided convolution + batch norm where the shape changes.
    pub downsample: Option<Sequential>,
}

impl BasicBlock {
    fn new(cin: usize, cout: usize, stride: usize) -> BasicBlock {
        let downsample = (stride != 1 || cin != cout).then(|| {
            Sequential::new()
                .push(conv(cin, cout, 1, stride, 0))
                .push(BatchNorm2d::new(cout))
        });
        BasicBlock {
            conv1: conv(cin, cout, 3, stride, 1),
            bn1: BatchNorm2d::new(cout),
            relu: ReLU::new(),
            conv2: conv(cout, cout, 3, 1, 1),
            bn2: BatchNorm2d::new(cout),
            downsample,
        }
    }
}

impl Forward for BasicBlock {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let y = self
            .relu
            .forward(&self.bn1.forward(&self.conv1.forward(x)?)?)?;
        let y = self.bn2.forward(&self.conv2.forward(&y)?)?;
        let identity = match &self.downsample {
            Some(d) => d.forward(x)?,
            None => x.clone(),
        };
        y.add(&identity)?.relu()
    }
}

/// ResNet-18: stem, four stages of two [`BasicBlock`]s, global average pool, classifier.
#[derive(Module)]
pub struct ResNet18 {
    pub conv1: Conv2d,
    pub bn1: BatchNorm2d,
    pub relu: ReLU,
    pub maxpool: MaxPool2d,
    pub layer1: Sequential,
    pub layer2: Sequential,
    pub layer3: Sequential,
    pub layer4: Sequential,
    pub avgpool: AdaptiveAvgPool2d,
    pub fc: Linear,
}

impl ResNet18 {
    /// The architecture with `num_classes` outputs (torchvision's default is 1000).
    pub fn new(num_classes: usize) -> ResNet18 {
        let stage = |cin, cout, stride| {
            Sequential::new()
                .push(BasicBlock::new(cin, cout, stride))
                .push(BasicBlock::new(cout, cout, 1))
        };
        let mut maxpool = MaxPool2d::new(3);
        maxpool.stride = [2, 2];
        maxpool.padding = [1, 1];
        ResNet18 {
            conv1: conv(3, 64, 7, 2, 3),
            bn1: BatchNorm2d::new(64),
            relu: ReLU::new(),
            maxpool,
            layer1: stage(64, 64, 1),
            layer2: stage(64, 128, 2),
            layer3: stage(128, 256, 2),
            layer4: stage(256, 512, 2),
            avgpool: AdaptiveAvgPool2d::new(1),
            fc: Linear::new(512, num_classes),
        }
    }
}

impl Forward for ResNet18 {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let x = self
            .relu
            .forward(&self.bn1.forward(&self.conv1.forward(x)?)?)?;
        let mut x = self.maxpool.forward(&x)?;
        for stage in [&self.layer1, &self.layer2, &self.layer3, &self.layer4] {
            x = stage.forward(&x)?;
        }
        let x = self.avgpool.forward(&x)?.flatten(1, -1)?;
        self.fc.forward(&x)
    }
}
