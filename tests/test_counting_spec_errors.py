"""Malformed network specs: each must fail with one exact line naming where, what and how to fix."""

from __future__ import annotations

import re

import pytest

from derive.counting import load_network, parse_spec
from derive.errors import InputError

H = "input = [3, 8, 8]\n"
TYPES = (
    "adaptive_avgpool2d, avgpool2d, batchnorm1d, batchnorm2d, conv2d, dropout, flatten, "
    "linear, maxpool2d, relu"
)
PAIR = "a positive integer or [height, width] of positive integers"

CASES = [
    (
        "toml-unclosed-array",
        'input = [3, 8, 8\n[[layers]]\ntype = "relu"\n',
        "not valid TOML: Unclosed array (at line 2, column 1)",
    ),
    (
        "toml-bare-word",
        H + "[[layers]]\ntype = relu\n",
        "not valid TOML: Invalid value (at line 3, column 8)",
    ),
    (
        "unknown-type-close",
        H + '[[layers]]\ntype = "conv2"\nout_channels = 4\nkernel_size = 3\n',
        'layer 1: unknown type "conv2" (did you mean "conv2d"?)',
    ),
    (
        "unknown-type-far",
        H + '[[layers]]\ntype = "lstm"\n',
        f'layer 1: unknown type "lstm"; known types: {TYPES}',
    ),
    (
        "missing-type",
        H + '[[layers]]\nname = "c1"\nout_channels = 4\n',
        f'layer 1 "c1": missing field "type"; set it to one of {TYPES}',
    ),
    (
        "type-not-string",
        H + "[[layers]]\ntype = 5\n",
        "layer 1: type must be a string, got 5",
    ),
    (
        "unknown-field-close",
        H
        + '[[layers]]\nname = "c1"\ntype = "conv2d"\nout_channels = 4\nkernal_size = 3\n',
        'layer 1 "c1" (conv2d): unknown field "kernal_size" (did you mean "kernel_size"?)',
    ),
    (
        "unknown-field-far",
        H + '[[layers]]\ntype = "relu"\nslope = 0.1\n',
        'layer 1 (relu): unknown field "slope"; allowed fields: name, type, inplace',
    ),
    (
        "missing-required",
        H + '[[layers]]\ntype = "conv2d"\nkernel_size = 3\n',
        'layer 1 (conv2d): missing required field "out_channels"',
    ),
    (
        "kernel-too-large",
        (
            'input = [3, 5, 5]\n[[layers]]\nname = "conv1"\ntype = "conv2d"\nout_channels = 4\n'
            "kernel_size = 11\npadding = 2\n"
        ),
        (
            'layer 1 "conv1" (conv2d): kernel height 11 is larger than the padded input height 9 '
            "(5 plus padding 2 on each side); use a smaller kernel_size or more padding"
        ),
    ),
    (
        "dilated-kernel-too-wide",
        (
            'input = [3, 5, 5]\n[[layers]]\ntype = "conv2d"\nout_channels = 4\n'
            "kernel_size = [1, 3]\ndilation = 3\n"
        ),
        (
            "layer 1 (conv2d): dilated kernel width 7 is larger than the padded input width 5 "
            "(5 plus padding 0 on each side); use a smaller kernel_size or dilation, or more padding"
        ),
    ),
    (
        "pool-kernel-too-large",
        'input = [3, 2, 2]\n[[layers]]\ntype = "maxpool2d"\nkernel_size = 3\n',
        (
            "layer 1 (maxpool2d): kernel height 3 is larger than the padded input height 2 "
            "(2 plus padding 0 on each side); use a smaller kernel_size or more padding"
        ),
    ),
    (
        "zero-channels",
        H + '[[layers]]\ntype = "conv2d"\nout_channels = 0\nkernel_size = 3\n',
        "layer 1 (conv2d): out_channels must be a positive integer, got 0",
    ),
    (
        "zero-stride",
        H
        + '[[layers]]\ntype = "conv2d"\nout_channels = 4\nkernel_size = 3\nstride = [1, 0]\n',
        f"layer 1 (conv2d): stride must be {PAIR}, got [1, 0]",
    ),
    (
        "negative-padding",
        H
        + '[[layers]]\ntype = "conv2d"\nout_channels = 4\nkernel_size = 3\npadding = -1\n',
        (
            "layer 1 (conv2d): padding must be a non-negative integer or [height, width] of "
            "non-negative integers, got -1"
        ),
    ),
    (
        "zero-input-size",
        'input = [3, 0, 8]\n[[layers]]\ntype = "relu"\n',
        "input must be [channels, height, width] or [features] of positive integers, got [3, 0, 8]",
    ),
    (
        "in-channels-not-divisible",
        H
        + '[[layers]]\ntype = "conv2d"\nout_channels = 4\nkernel_size = 3\ngroups = 2\n',
        (
            "layer 1 (conv2d): in_channels 3 is not divisible by groups 2; "
            "groups must divide both in_channels and out_channels"
        ),
    ),
    (
        "out-channels-not-divisible",
        (
            'input = [4, 8, 8]\n[[layers]]\ntype = "conv2d"\nout_channels = 6\nkernel_size = 3\n'
            "groups = 4\n"
        ),
        (
            "layer 1 (conv2d): out_channels 6 is not divisible by groups 4; "
            "groups must divide both in_channels and out_channels"
        ),
    ),
    (
        "linear-without-flatten",
        H + '[[layers]]\nname = "fc"\ntype = "linear"\nout_features = 10\n',
        (
            'layer 1 "fc" (linear): linear needs a flat input but gets 3x8x8; '
            "add a flatten layer before it"
        ),
    ),
    (
        "pool-after-flatten",
        H
        + '[[layers]]\ntype = "flatten"\n[[layers]]\ntype = "maxpool2d"\nkernel_size = 2\n',
        (
            "layer 2 (maxpool2d): maxpool2d needs a CxHxW input but gets 192 features; "
            "it must come before any flatten or linear layer"
        ),
    ),
    (
        "in-channels-mismatch",
        H
        + '[[layers]]\ntype = "conv2d"\nin_channels = 4\nout_channels = 4\nkernel_size = 3\n',
        (
            "layer 1 (conv2d): in_channels is 4 but the input has 3 channels; "
            "set in_channels = 3 or omit it"
        ),
    ),
    (
        "in-features-mismatch",
        'input = [100]\n[[layers]]\ntype = "linear"\nin_features = 10\nout_features = 4\n',
        (
            "layer 1 (linear): in_features is 10 but the input has 100 features; "
            "set in_features = 100 or omit it"
        ),
    ),
    (
        "kernel-size-string",
        H + '[[layers]]\ntype = "conv2d"\nout_channels = 4\nkernel_size = "3"\n',
        f'layer 1 (conv2d): kernel_size must be {PAIR}, got "3"',
    ),
    (
        "kernel-size-three-numbers",
        H + '[[layers]]\ntype = "conv2d"\nout_channels = 4\nkernel_size = [3, 3, 3]\n',
        f"layer 1 (conv2d): kernel_size must be {PAIR}, got [3, 3, 3]",
    ),
    (
        "bias-as-number",
        H
        + '[[layers]]\ntype = "conv2d"\nout_channels = 4\nkernel_size = 3\nbias = 1\n',
        "layer 1 (conv2d): bias must be true or false, got 1",
    ),
    (
        "channels-as-bool",
        H + '[[layers]]\ntype = "conv2d"\nout_channels = true\nkernel_size = 3\n',
        "layer 1 (conv2d): out_channels must be a positive integer, got true",
    ),
    (
        "channels-as-float",
        H + '[[layers]]\ntype = "conv2d"\nout_channels = 4.0\nkernel_size = 3\n',
        "layer 1 (conv2d): out_channels must be a positive integer, got 4.0",
    ),
    (
        "dropout-p-above-one",
        'input = [10]\n[[layers]]\ntype = "dropout"\np = 1.5\n',
        "layer 1 (dropout): p must be a number from 0 to 1, got 1.5",
    ),
    (
        "duplicate-name",
        H
        + '[[layers]]\nname = "a"\ntype = "relu"\n[[layers]]\nname = "a"\ntype = "relu"\n',
        'layer 2 "a" (relu): name "a" is already used by layer 1; give each layer its own name',
    ),
    (
        "name-with-space",
        H + '[[layers]]\nname = "conv 1"\ntype = "relu"\n',
        (
            "layer 1: name must be letters, digits and underscores, not starting with a digit, "
            'got "conv 1"'
        ),
    ),
    (
        "missing-input",
        '[[layers]]\ntype = "relu"\n',
        'missing top-level field "input"; add e.g. input = [3, 32, 32]',
    ),
    ("no-layers", H, "no layers; add at least one [[layers]] table"),
    (
        "layers-not-tables",
        H + "layers = 3\n",
        "layers must be an array of tables written [[layers]], got 3",
    ),
    (
        "unknown-top-level",
        H + "layer = []\n",
        (
            'unknown top-level field "layer" (did you mean "layers"?); '
            "allowed: name, description, input, layers"
        ),
    ),
    (
        "pool-padding-over-half",
        H + '[[layers]]\ntype = "maxpool2d"\nkernel_size = 2\npadding = 2\n',
        (
            "layer 1 (maxpool2d): padding 2 (height) is more than half of kernel_size 2; "
            "PyTorch requires padding <= kernel_size // 2"
        ),
    ),
    (
        "batchnorm1d-on-image",
        H + '[[layers]]\ntype = "batchnorm1d"\n',
        (
            "layer 1 (batchnorm1d): batchnorm1d needs a flat input but gets 3x8x8; "
            "add a flatten layer before it or use batchnorm2d"
        ),
    ),
    (
        "batchnorm-features-mismatch",
        H + '[[layers]]\ntype = "batchnorm2d"\nnum_features = 4\n',
        (
            "layer 1 (batchnorm2d): num_features is 4 but the input has 3 channels; "
            "set num_features = 3 or omit it"
        ),
    ),
    (
        "eps-zero",
        H + '[[layers]]\ntype = "batchnorm2d"\neps = 0\n',
        "layer 1 (batchnorm2d): eps must be a positive number, got 0",
    ),
    (
        "name-not-string",
        "name = 5\n" + H + '[[layers]]\ntype = "relu"\n',
        "name must be a non-empty string, got 5",
    ),
]


@pytest.mark.parametrize(
    ("text", "message"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_malformed_spec_is_one_exact_line(text: str, message: str) -> None:
    with pytest.raises(InputError, match=rf"^net\.toml: {re.escape(message)}$"):
        parse_spec(text, "net.toml")


def test_error_names_the_later_layer_by_index_and_name() -> None:
    """A problem in layer 3 must not be blamed on layer 1, and unnamed layers give no name."""
    text = (
        H
        + '[[layers]]\ntype = "conv2d"\nout_channels = 8\nkernel_size = 3\n'
        + '[[layers]]\ntype = "relu"\n'
        + '[[layers]]\nname = "squash"\ntype = "conv2d"\nout_channels = 8\nkernel_size = 7\n'
    )
    with pytest.raises(
        InputError, match=r'^n: layer 3 "squash" \(conv2d\): kernel height 7 is '
    ):
        parse_spec(text, "n")


def test_missing_file_is_named_as_given(tmp_path) -> None:
    path = tmp_path / "nope.toml"
    with pytest.raises(
        InputError,
        match=rf"^{re.escape(str(path))}: no such file; give a TOML spec file or a built-in name$",
    ):
        load_network(path)


def test_directory_is_not_a_spec(tmp_path) -> None:
    with pytest.raises(
        InputError, match=r": is not a file; give a TOML spec file or a built-in name$"
    ):
        load_network(tmp_path)


def test_unknown_builtin_suggests_the_close_name() -> None:
    with pytest.raises(
        InputError,
        match=r'^alexnt: no such spec file or built-in network \(did you mean "alexnet"\?\); '
        r"built-ins: alexnet, net1, net2, smallnet, vgg16$",
    ):
        load_network("alexnt")


def test_file_errors_are_prefixed_with_the_path(tmp_path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(
        H + '[[layers]]\ntype = "conv2d"\nout_channels = 0\nkernel_size = 3\n'
    )
    with pytest.raises(
        InputError, match=rf"^{re.escape(str(path))}: layer 1 \(conv2d\): "
    ):
        load_network(path)


def test_non_utf8_file_is_rejected(tmp_path) -> None:
    path = tmp_path / "latin1.toml"
    path.write_bytes(b'name = "caf\xe9"\n' + H.encode())
    with pytest.raises(
        InputError,
        match=rf"^{re.escape(str(path))}: not UTF-8 text \(byte 11\); save the spec as UTF-8$",
    ):
        load_network(path)
