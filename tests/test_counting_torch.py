"""Our shapes, parameter counts and MACs against PyTorch, an independent implementation.

``FlopCounterMode`` counts 2 FLOPs per multiply–add, ignores biases and includes the products
with padding zeros — our default convention times two.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from derive.counting import builtin_specs, count_network, load_network, parse_spec
from derive.errors import InputError

torch = pytest.importorskip("torch")
from derive.counting.torch_build import build_module, torch_counts

pytestmark = pytest.mark.torch


@pytest.mark.parametrize("name", sorted(builtin_specs()))
def test_builtin_networks_agree_with_torch(name: str) -> None:
    network = load_network(name)
    result = count_network(network)
    params, flops, out_shape = torch_counts(network)
    assert out_shape == network.output_shape
    assert {r.name: r.params for r in result.layers} == params
    assert {r.name: 2 * r.macs for r in result.layers} == flops
    assert sum(params.values()) == result.totals.params
    assert sum(flops.values()) == 2 * result.totals.macs


def test_torch_shapes_layer_by_layer() -> None:
    """Every intermediate shape, not only the output, by running the children one at a time."""
    network = load_network("alexnet")
    x = torch.empty(1, *network.input_shape, device="meta")
    for layer, module in zip(network.layers, build_module(network).children()):
        x = module(x)
        assert tuple(x.shape[1:]) == layer.out_shape, layer.name


def test_cross_check_catches_a_wrong_spec() -> None:
    """The comparison is not vacuous: torch counts of a subtly different AlexNet (conv2 with
    padding 1 instead of 2) disagree with our counts of the real one."""
    from derive.counting import builtin_spec_text

    text = builtin_spec_text("alexnet").replace(
        "kernel_size = 5\npadding = 2", "kernel_size = 5\npadding = 1"
    )
    wrong = parse_spec(text, "wrong")
    ours = {r.name: 2 * r.macs for r in count_network(load_network("alexnet")).layers}
    _, theirs, _ = torch_counts(wrong)
    assert ours["conv1"] == theirs["conv1"]
    assert ours["conv2"] != theirs["conv2"]


LAYER = st.sampled_from(["conv2d", "maxpool2d", "avgpool2d"])


@st.composite
def single_layers(draw):
    kind = draw(LAYER)
    c = draw(st.integers(1, 4))
    h, w = draw(st.integers(1, 9)), draw(st.integers(1, 9))
    k = [draw(st.integers(1, 5)), draw(st.integers(1, 5))]
    s = [draw(st.integers(1, 3)), draw(st.integers(1, 3))]
    p = [draw(st.integers(0, 3)), draw(st.integers(0, 3))]
    fields = {"kernel_size": k, "stride": s, "padding": p}
    if kind == "conv2d":
        fields["out_channels"] = draw(st.integers(1, 4))
        fields["groups"] = draw(st.integers(1, 3))
        fields["dilation"] = [draw(st.integers(1, 3)), draw(st.integers(1, 3))]
    else:
        fields["ceil_mode"] = draw(st.booleans())
        if kind == "maxpool2d":
            fields["dilation"] = [draw(st.integers(1, 3)), draw(st.integers(1, 3))]
    return kind, (c, h, w), fields


def _torch_module(kind, c, fields):
    nn = torch.nn
    if kind == "conv2d":
        return nn.Conv2d(
            c,
            fields["out_channels"],
            fields["kernel_size"],
            stride=fields["stride"],
            padding=fields["padding"],
            dilation=fields["dilation"],
            groups=fields["groups"],
        )
    cls = nn.MaxPool2d if kind == "maxpool2d" else nn.AvgPool2d
    extra = {"dilation": fields["dilation"]} if kind == "maxpool2d" else {}
    return cls(
        fields["kernel_size"],
        fields["stride"],
        fields["padding"],
        ceil_mode=fields["ceil_mode"],
        **extra,
    )


@settings(max_examples=100, deadline=None)
@given(single_layers())
def test_random_layers_accepted_and_rejected_like_torch(case) -> None:
    """Either both accept with the same output shape, or both reject (we with a message)."""
    kind, (c, h, w), fields = case
    lines = [f"input = [{c}, {h}, {w}]", "[[layers]]", f'type = "{kind}"']
    lines += [f"{key} = {str(value).lower()}" for key, value in fields.items()]
    try:
        ours = parse_spec("\n".join(lines) + "\n", "random").layers[0].out_shape
    except InputError:
        ours = None
    try:
        theirs = tuple(
            _torch_module(kind, c, fields)(torch.zeros(1, c, h, w)).shape[1:]
        )
    except (RuntimeError, ValueError):
        theirs = None
    assert ours == theirs


@settings(max_examples=40, deadline=None)
@given(single_layers())
def test_random_conv_flops_are_twice_our_macs(case) -> None:
    kind, (c, h, w), fields = case
    if kind != "conv2d":
        return
    lines = [
        f"input = [{c}, {h}, {w}]",
        "[[layers]]",
        'name = "conv"',
        'type = "conv2d"',
    ]
    lines += [f"{key} = {str(value).lower()}" for key, value in fields.items()]
    try:
        network = parse_spec("\n".join(lines) + "\n", "random")
    except InputError:
        return
    params, flops, _ = torch_counts(network)
    row = count_network(network).layers[0]
    assert (params["conv"], flops["conv"]) == (row.params, 2 * row.macs)
