"""Writes tests/fixtures/kernels/kernels.json: inputs and torch's outputs for every compute
kernel (linear, matmul/bmm/addmm, conv1d/conv2d, activations, softmax, norms), at awkward
shapes, strided inputs and half precision. Run with PyTorch 2.15 (CPU):

    python tests/python/fixtures_kernels.py
"""

import json
import os

import torch
import torch.nn.functional as F

torch.manual_seed(8)
OUT = os.path.join(os.path.dirname(__file__), "..", "fixtures", "kernels", "kernels.json")
NAMES = {torch.float32: "f32", torch.float64: "f64", torch.float16: "f16", torch.bfloat16: "bf16", torch.int64: "i64"}


def spec(t, permute=None):
    """A tensor as its contiguous base plus an optional permutation (a strided view)."""
    if permute is None:
        base = t.contiguous()
    else:
        inverse = [permute.index(i) for i in range(len(permute))]
        base = t.permute(inverse).contiguous()
        assert torch.equal(base.permute(permute), t)
    return {
        "dtype": NAMES[t.dtype],
        "shape": list(base.shape),
        "permute": permute,
        "data": data(base),
    }


def num(v):
    """JSON has no NaN or infinity: those travel as strings."""
    return v if v == v and abs(v) != float("inf") else str(v)


def data(t):
    return [num(v) for v in t.double().flatten().tolist()]


def out(t):
    return {"dtype": NAMES[t.dtype], "shape": list(t.shape), "data": data(t)}


def rnd(*shape, dtype=torch.float32, scale=1.0):
    return (torch.randn(*shape, dtype=torch.float64) * scale).to(dtype)


cases = []


def case(name, op, inputs, output, **args):
    cases.append({"name": name, "op": op, "inputs": inputs, "args": args, "outputs": output})


# linear: plain, transposed weight (strided), no bias, empty batch, one element, f64, half.
for dt in [torch.float32, torch.float64, torch.float16, torch.bfloat16]:
    x, w, b = rnd(3, 7, 5, dtype=dt), rnd(4, 5, dtype=dt), rnd(4, dtype=dt)
    case(f"linear_{NAMES[dt]}", "linear", [spec(x), spec(w), spec(b)], [out(F.linear(x, w, b))])
wt = rnd(5, 4)
x = rnd(6, 5)
case("linear_transposed_weight", "linear", [spec(x), spec(wt.t(), [1, 0])], [out(F.linear(x, wt.t()))])
case("linear_empty", "linear", [spec(rnd(0, 5)), spec(rnd(3, 5))], [out(F.linear(rnd(0, 5), rnd(3, 5)))])
x1, w1, b1 = rnd(1, 1), rnd(1, 1), rnd(1)
case("linear_one", "linear", [spec(x1), spec(w1), spec(b1)], [out(F.linear(x1, w1, b1))])
x, w, b = rnd(16, 130), rnd(70, 130), rnd(70)
case("linear_large", "linear", [spec(x), spec(w), spec(b)], [out(F.linear(x, w, b))])

# matmul family
a, b = rnd(2, 3, 4, 6), rnd(6, 5)
case("matmul_broadcast", "matmul", [spec(a), spec(b)], [out(a @ b)])
a, b = rnd(4, 6, 3), rnd(4, 5, 6)
case("matmul_strided", "matmul", [spec(a.transpose(1, 2), [0, 2, 1]), spec(b.transpose(1, 2), [0, 2, 1])],
     [out(a.transpose(1, 2) @ b.transpose(1, 2))])
a, b = rnd(3, 40, 24), rnd(3, 24, 40)
case("bmm", "bmm", [spec(a), spec(b)], [out(torch.bmm(a, b))])
v, m = rnd(6), rnd(6, 3)
case("matmul_vec", "matmul", [spec(v), spec(m)], [out(v @ m)])
c, m1, m2 = rnd(5), rnd(3, 4), rnd(4, 5)
case("addmm", "addmm", [spec(c), spec(m1), spec(m2)], [out(torch.addmm(c, m1, m2))])
a, b = rnd(3, 4, dtype=torch.bfloat16), rnd(4, 2, dtype=torch.bfloat16)
case("matmul_bf16", "matmul", [spec(a), spec(b)], [out(a @ b)])

# conv2d: stride, padding, dilation, groups, depthwise (with multiplier), 1x1, unbatched, half.
convs = [
    ("conv2d_basic", (2, 4, 9, 8), (6, 4, 3, 3), dict(stride=1, padding=1, dilation=1, groups=1)),
    ("conv2d_stride_dil", (1, 4, 11, 10), (4, 2, 3, 2), dict(stride=(2, 1), padding=(0, 2), dilation=(2, 1), groups=2)),
    ("conv2d_depthwise", (2, 6, 7, 7), (6, 1, 3, 3), dict(stride=(1, 2), padding=1, dilation=1, groups=6)),
    ("conv2d_depthwise_mult", (1, 3, 6, 5), (6, 1, 2, 2), dict(stride=1, padding=0, dilation=(1, 2), groups=3)),
    ("conv2d_pointwise", (2, 5, 4, 3), (7, 5, 1, 1), dict(stride=1, padding=0, dilation=1, groups=1)),
    ("conv2d_large", (2, 8, 12, 12), (16, 8, 3, 3), dict(stride=1, padding=1, dilation=1, groups=1)),
]
for name, xs, ws, o in convs:
    x, w, b = rnd(*xs), rnd(*ws, scale=0.3), rnd(ws[0])
    case(name, "conv2d", [spec(x), spec(w), spec(b)], [out(F.conv2d(x, w, b, **o))], **o)
x, w = rnd(3, 5, 5), rnd(2, 3, 3, 3)
case("conv2d_unbatched_nobias", "conv2d", [spec(x), spec(w)], [out(F.conv2d(x, w))], stride=1, padding=0, dilation=1, groups=1)
x, w, b = rnd(1, 4, 6, 6, dtype=torch.float16), rnd(4, 4, 3, 3, dtype=torch.float16, scale=0.3), rnd(4, dtype=torch.float16)
case("conv2d_f16", "conv2d", [spec(x), spec(w), spec(b)], [out(F.conv2d(x, w, b, padding=1))], stride=1, padding=1, dilation=1, groups=1)
x = rnd(2, 5, 4, 3)
w, b = rnd(3, 5, 2, 2), rnd(3)
case("conv2d_channels_last", "conv2d", [spec(x.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2), [0, 3, 1, 2]), spec(w), spec(b)],
     [out(F.conv2d(x, w, b))], stride=1, padding=0, dilation=1, groups=1)

# conv1d
conv1 = [
    ("conv1d_audio", (1, 33, 4), (32, 33, 3), dict(stride=1, padding=0, dilation=1, groups=1)),
    ("conv1d_groups", (2, 6, 17), (4, 3, 4), dict(stride=3, padding=2, dilation=2, groups=2)),
    ("conv1d_depthwise", (2, 5, 12), (5, 1, 5), dict(stride=1, padding=2, dilation=1, groups=5)),
]
for name, xs, ws, o in conv1:
    x, w, b = rnd(*xs), rnd(*ws, scale=0.3), rnd(ws[0])
    case(name, "conv1d", [spec(x), spec(w), spec(b)], [out(F.conv1d(x, w, b, **o))], **o)

# element-wise activations over a wide range, contiguous and strided, and half precision.
grid = torch.linspace(-12, 12, 625, dtype=torch.float64).to(torch.float32).reshape(25, 25)
acts = {
    "gelu": lambda t: F.gelu(t),
    "gelu_tanh": lambda t: F.gelu(t, approximate="tanh"),
    "silu": F.silu,
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "exp": lambda t: torch.exp(t.clamp(max=80)),
    "relu": torch.relu,
}
for name, f in acts.items():
    src = grid.clamp(max=80) if name == "exp" else grid
    case(f"{name}_f32", name, [spec(src)], [out(f(src))])
    case(f"{name}_strided", name, [spec(src.t(), [1, 0])], [out(f(src.t()))])
    h = src.to(torch.bfloat16)
    case(f"{name}_bf16", name, [spec(h)], [out(f(h))])
    d = src.double()
    case(f"{name}_f64", name, [spec(d)], [out(f(d))])
case("gelu_empty", "gelu", [spec(rnd(0, 3))], [out(F.gelu(rnd(0, 3)))])

# softmax / log_softmax
x = rnd(3, 4, 37, scale=4.0)
for dim in [-1, 1, 0]:
    case(f"softmax_dim{dim}", "softmax", [spec(x)], [out(torch.softmax(x, dim))], dim=dim)
    case(f"log_softmax_dim{dim}", "log_softmax", [spec(x)], [out(torch.log_softmax(x, dim))], dim=dim)
xt = x.transpose(0, 2)
case("softmax_strided", "softmax", [spec(xt, [2, 1, 0])], [out(torch.softmax(xt, -1))], dim=-1)
h = x.to(torch.float16)
case("softmax_f16", "softmax", [spec(h)], [out(torch.softmax(h, -1))], dim=-1)

# norms
x, w, b = rnd(4, 7, 96, scale=3.0) + 2.0, rnd(96), rnd(96)
case("layer_norm", "layer_norm", [spec(x), spec(w), spec(b)], [out(F.layer_norm(x, [96], w, b, 1e-5))], shape=[96], eps=1e-5)
case("layer_norm_2d_noaffine", "layer_norm", [spec(x)], [out(F.layer_norm(x, [7, 96], eps=1e-6))], shape=[7, 96], eps=1e-6)
hb = x.to(torch.bfloat16)
case("layer_norm_bf16", "layer_norm", [spec(hb), spec(w.to(torch.bfloat16)), spec(b.to(torch.bfloat16))],
     [out(F.layer_norm(hb, [96], w.to(torch.bfloat16), b.to(torch.bfloat16), 1e-5))], shape=[96], eps=1e-5)
x = rnd(5, 6, 4, 3, scale=2.0) + 1.0
w, b, rm, rv = rnd(6), rnd(6), rnd(6), rnd(6).abs() + 0.5
case("batch_norm_eval", "batch_norm", [spec(x), spec(rm), spec(rv), spec(w), spec(b)],
     [out(F.batch_norm(x, rm, rv, w, b, False, 0.1, 1e-5))], training=False, momentum=0.1, eps=1e-5)
rm2, rv2 = rm.clone(), rv.clone()
y = F.batch_norm(x, rm2, rv2, w, b, True, 0.1, 1e-5)
case("batch_norm_train", "batch_norm", [spec(x), spec(rm), spec(rv), spec(w), spec(b)],
     [out(y), out(rm2), out(rv2)], training=True, momentum=0.1, eps=1e-5)
x = rnd(3, 8, 5, 5, scale=2.0)
w, b = rnd(8), rnd(8)
case("group_norm", "group_norm", [spec(x), spec(w), spec(b)], [out(F.group_norm(x, 4, w, b, 1e-5))], groups=4, eps=1e-5)

# element-wise binary ops: broadcast both ways, strided, empty, one element, half, ints, mixed.
BINARY = {"add": torch.add, "sub": torch.sub, "mul": torch.mul, "div": torch.div,
          "maximum": torch.maximum, "minimum": torch.minimum}
for op, f in BINARY.items():
    for dt in [torch.float32, torch.float64, torch.float16, torch.bfloat16]:
        a, b = rnd(3, 1, 70, dtype=dt), rnd(5, 1, dtype=dt) + 3.0
        case(f"{op}_bcast_{NAMES[dt]}", op, [spec(a), spec(b)], [out(f(a, b))])
    a = rnd(9, 4, 33)
    at = a.permute(2, 0, 1)
    b = rnd(33, 1, 4) + 3.0
    case(f"{op}_strided", op, [spec(at, [2, 0, 1]), spec(b)], [out(f(at, b))])
    a, b = rnd(300, 257), rnd(300, 257) + 3.0
    case(f"{op}_large", op, [spec(a), spec(b)], [out(f(a, b))])
    case(f"{op}_empty", op, [spec(rnd(0, 3)), spec(rnd(1, 3))], [out(f(rnd(0, 3), rnd(1, 3)))])
    a, b = rnd(1), rnd(1) + 3.0
    case(f"{op}_one", op, [spec(a), spec(b)], [out(f(a, b))])
    ai, bi = torch.randint(-50, 50, (4, 6)), torch.randint(1, 9, (6,))
    case(f"{op}_i64", op, [spec(ai), spec(bi)], [out(f(ai, bi))])
    a, b = rnd(2, 5, dtype=torch.float16), rnd(5) + 3.0
    case(f"{op}_mixed_f16_f32", op, [spec(a), spec(b)], [out(f(a, b))])
a = torch.tensor([1.0, float("nan"), 3.0, -float("inf")])
b = torch.tensor([float("nan"), 2.0, 4.0, 0.0])
for op in ["maximum", "minimum", "add", "div"]:
    case(f"{op}_nan", op, [spec(a), spec(b)], [out(BINARY[op](a, b))])

# reductions over the last dim and over everything
for dt in [torch.float32, torch.float64, torch.float16, torch.bfloat16]:
    x = rnd(6, 5, 1000, dtype=dt)
    case(f"sum_last_{NAMES[dt]}", "sum_dim", [spec(x)], [out(x.sum(-1))], dim=-1)
    case(f"mean_last_{NAMES[dt]}", "mean_dim", [spec(x)], [out(x.mean(-1))], dim=-1)
x = rnd(7, 300, 40)
xt = x.transpose(0, 2)
case("sum_strided", "sum_dim", [spec(xt, [2, 1, 0])], [out(xt.sum(1))], dim=1)
case("sum_all_large", "sum", [spec(x)], [out(x.sum())])
case("sum_empty", "sum_dim", [spec(rnd(4, 0))], [out(rnd(4, 0).sum(-1))], dim=-1)
xi = torch.randint(-1000, 1000, (3, 77))
case("sum_i64", "sum_dim", [spec(xi)], [out(xi.sum(-1))], dim=-1)

os.makedirs(os.path.dirname(OUT), exist_ok=True)
with open(OUT, "w") as f:
    json.dump({"torch": torch.__version__, "cases": cases}, f, separators=(",", ":"))
print(f"wrote {len(cases)} cases to {OUT}")
