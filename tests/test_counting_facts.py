"""The built-in networks against facts stated outside this code: the problem sheet (shapes,
AlexNet's parameter and MAC totals, Net2 = Net1 with copied weights) and torchvision's published
VGG-16 figures. Convention variants are checked against hand derivations."""

from __future__ import annotations

from math import prod

import pytest

from derive.counting import (
    Convention,
    builtin_spec_text,
    builtin_specs,
    count_network,
    load_network,
)

ALEXNET_SHAPES = {  # the sheet's table, Problem 2
    "conv1": (64, 55, 55),
    "pool1": (64, 27, 27),
    "conv2": (192, 27, 27),
    "pool2": (192, 13, 13),
    "conv3": (384, 13, 13),
    "conv4": (256, 13, 13),
    "conv5": (256, 13, 13),
    "pool5": (256, 6, 6),
    "avgpool": (256, 6, 6),
    "flatten": (9216,),
    "fc1": (4096,),
    "fc2": (4096,),
    "fc3": (1000,),
}
# (c_in, c_out, k, h_out) per conv from the sheet's table, for its formula (c_out·h_out²)·(c_in·k²)
ALEXNET_CONVS = {
    "conv1": (3, 64, 11, 55),
    "conv2": (64, 192, 5, 27),
    "conv3": (192, 384, 3, 13),
    "conv4": (384, 256, 3, 13),
    "conv5": (256, 256, 3, 13),
}


@pytest.fixture(scope="module")
def alexnet():
    return load_network("alexnet")


def test_alexnet_shapes_match_the_sheet(alexnet) -> None:
    shapes = {layer.name: layer.out_shape for layer in alexnet.layers}
    assert {name: shapes[name] for name in ALEXNET_SHAPES} == ALEXNET_SHAPES
    assert alexnet.input_shape == (3, 227, 227)


def test_alexnet_course_totals(alexnet) -> None:
    result = count_network(alexnet)
    assert result.totals.params == 61_100_840
    assert result.by_kind["conv"].macs == 655_566_528
    assert result.by_kind["linear"].macs == 58_621_952
    assert round(float(100 * result.share("conv", "macs")), 2) == 91.79
    assert round(float(100 * result.share("linear", "macs")), 2) == 8.21
    # "about 96 % of the trainable parameters sit in the three linear layers and 4 % in the convs"
    assert round(float(100 * result.share("linear", "params"))) == 96
    assert round(float(100 * result.share("conv", "params"))) == 4


def test_alexnet_each_conv_follows_the_sheet_formula(alexnet) -> None:
    rows = {row.name: row for row in count_network(alexnet).layers}
    for name, (c_in, c_out, k, h_out) in ALEXNET_CONVS.items():
        expected = c_out * h_out**2 * c_in * k**2
        assert (rows[name].macs, rows[name].mults, rows[name].adds) == (
            expected,
        ) * 3, name
    for name, (n_in, n_out) in {
        "fc1": (9216, 4096),
        "fc2": (4096, 4096),
        "fc3": (4096, 1000),
    }.items():
        assert rows[name].macs == n_in * n_out, name


def test_only_conv_and_linear_layers_have_operations(alexnet) -> None:
    for row in count_network(alexnet, Convention(bias=True)).layers:
        if row.type not in ("conv2d", "linear"):
            assert (row.params, row.macs, row.mults, row.adds) == (0, 0, 0, 0), row.name


def _counted_outputs(network) -> int:
    return sum(
        prod(l.out_shape) for l in network.layers if l.type in ("conv2d", "linear")
    )


def test_bias_adds_one_addition_per_output(alexnet) -> None:
    base = count_network(alexnet).totals
    biased = count_network(alexnet, Convention(bias=True)).totals
    assert biased.mults == base.mults and biased.macs == base.macs
    assert biased.adds - base.adds == _counted_outputs(alexnet)


def test_strict_saves_one_addition_per_output(alexnet) -> None:
    base = count_network(alexnet).totals
    strict = count_network(alexnet, Convention(strict=True)).totals
    assert strict.mults == base.mults
    assert base.adds - strict.adds == _counted_outputs(alexnet)
    # strict plus bias: c_in·k² − 1 + 1 additions per output, the default count again
    assert (
        count_network(alexnet, Convention(bias=True, strict=True)).totals.adds
        == base.adds
    )


def test_exclude_padding_by_hand(alexnet) -> None:
    """Per axis, a k-tap window sliding over n outputs with padding p loses the taps that hang
    over an edge: k=5, p=2 loses 2+1 at each end (27·5 − 6 = 129 pairs); k=3, p=1 loses 1 at each
    end (13·3 − 2 = 37). conv1 has no padding and linear layers none at all."""
    rows = {
        r.name: r
        for r in count_network(alexnet, Convention(exclude_padding=True)).layers
    }
    base = {r.name: r for r in count_network(alexnet).layers}
    assert rows["conv1"].macs == base["conv1"].macs
    assert rows["conv2"].macs == 192 * 64 * 129**2
    for name in ("conv3", "conv4", "conv5"):
        c_in, c_out, _, _ = ALEXNET_CONVS[name]
        assert rows[name].macs == c_out * c_in * 37**2, name
    for name in ("fc1", "fc2", "fc3"):
        assert rows[name].macs == base[name].macs


def test_percentages_cover_everything(alexnet) -> None:
    result = count_network(
        alexnet, Convention(bias=True, strict=True, exclude_padding=True)
    )
    for quantity in ("params", "macs", "mults", "adds"):
        assert (
            sum(result.share(kind, quantity) for kind in ("conv", "linear", "other"))
            == 1
        )


def test_net1_shapes_match_the_sheet() -> None:
    net1 = load_network("net1")
    convs = [l.out_shape[1] for l in net1.layers if l.type == "conv2d"]
    assert convs == [26, 24, 22, 20, 18]
    assert [l.out_shape for l in net1.layers if l.type == "flatten"] == [
        (256 * 18 * 18,)
    ]
    assert net1.output_shape == (10,)


def test_net2_costs_exactly_what_net1_costs() -> None:
    """Net2 holds Net1's weights reshaped and computes the same products on a 32x32 input."""
    net1, net2 = load_network("net1"), load_network("net2")
    assert net2.output_shape == (10, 1, 1)
    c1, c2 = count_network(net1), count_network(net2)
    assert c1.totals == c2.totals
    layers1 = {r.name: r for r in c1.layers}
    for row in c2.layers:
        if row.name in ("fc1", "fc2", "fc3"):
            assert row.type == "conv2d" and layers1[row.name].type == "linear"
            assert (row.params, row.macs) == (
                layers1[row.name].params,
                layers1[row.name].macs,
            )


def test_smallnet_has_batch_norm_parameters() -> None:
    net = load_network("smallnet")
    result = count_network(net)
    flat = [l.out_shape for l in net.layers if l.type == "flatten"]
    assert flat == [(16 * 32 * 32,)]
    # γ and β per channel: two BN2d over 16 channels, one BN1d over 1024 features
    assert result.by_kind["other"].params == 2 * 16 + 2 * 16 + 2 * 1024
    conv = (3 * 9 + 1) * 16 + (16 * 9 + 1) * 16
    linear = (16384 + 1) * 1024 + (1024 + 1) * 10
    assert result.totals.params == conv + linear + 2 * 16 + 2 * 16 + 2 * 1024


def test_vgg16_matches_torchvision_published_figures() -> None:
    """torchvision documents vgg16 as 138,357,544 parameters and 15.47 GFLOPS (multiply-adds)."""
    result = count_network(load_network("vgg16"))
    assert result.totals.params == 138_357_544
    assert round(result.totals.macs / 1e9, 2) == 15.47


def test_builtin_specs_describe_themselves() -> None:
    specs = builtin_specs()
    assert sorted(specs) == ["alexnet", "net1", "net2", "smallnet", "vgg16"]
    assert all(
        description and "\n" not in description for description in specs.values()
    )
    for name in specs:
        assert load_network(name).name == name
        assert f'name = "{name}"' in builtin_spec_text(name)


def test_single_int_and_pair_spellings_agree() -> None:
    one = load_network("alexnet")
    text = builtin_spec_text("alexnet").replace(
        "kernel_size = 11", "kernel_size = [11, 11]"
    )
    from derive.counting import parse_spec

    assert count_network(parse_spec(text, "pair")).layers == count_network(one).layers


def test_convention_describes_itself() -> None:
    assert Convention().describe() == (
        "one addition per multiply, biases ignored, padding products counted"
    )
    assert Convention(True, True, True).as_dict() == {
        "bias": True,
        "strict": True,
        "exclude_padding": True,
    }
