//! Archives written by real torch.jit (tests/python/fixtures_jit.py) run to torch's outputs.

mod support;

use support::check;

#[test]
fn my_module_scripted() {
    check("my_module", "forward");
}

#[test]
fn control_flow_scripted_returns_zero_for_2d() {
    check("control_flow_scripted", "forward");
}

#[test]
fn control_flow_scripted_runs_layers_for_1d() {
    check("control_flow_scripted_1d", "forward");
}

#[test]
fn control_flow_traced_runs_layers_for_2d() {
    check("control_flow_traced", "forward");
}

#[test]
fn sequential_linear_batchnorm_eval() {
    check("sequential_bn_eval", "forward");
}

#[test]
fn div_full_current_semantics() {
    check("div_full", "forward");
}

#[test]
fn div_full_version_3_upgraders() {
    check("div_full_v3", "forward");
}
