"""The code listings of Problems 3 and 5 are the source of the very functions the build runs."""

from __future__ import annotations

import inspect

import pytest

from derive.core.document import Listing
from derive.render import view

torch = pytest.importorskip("torch")

from derive.documents.hw7 import p3_figures, p5_figures  # noqa: E402
from derive.documents.hw7.p3_bn_fold import fold_code  # noqa: E402
from derive.documents.hw7.p5_net_in_net import net2_code, sliding_code  # noqa: E402
from derive.core.document import Part  # noqa: E402
from derive.documents.hw7 import net_in_net_torch, smallnet  # noqa: E402
from derive.nn import bn  # noqa: E402

pytestmark = pytest.mark.torch


def _listings(build) -> list[Listing]:
    part = Part("x", "listing", 0)
    build(part)
    return [block for block in part.blocks if isinstance(block, Listing)]


@pytest.mark.parametrize("build, functions", [
    (fold_code, (smallnet.fold_smallnet, bn._fold)),
    (net2_code, (net_in_net_torch._classifier, net_in_net_torch.net2_from_net1)),
    (sliding_code, (net_in_net_torch.check_sliding_windows,)),
], ids=["p3-fold", "p5-net2", "p5-windows"])
def test_listing_is_the_source_of_the_functions_run(build, functions):
    (listing,) = _listings(build)
    assert listing.resolved() == functions
    code = view.listing_code(listing.resolved())
    assert code == "\n".join(inspect.getsource(f) for f in functions).rstrip("\n")
    # What the PDF prints is read from the module's file without importing it: the same text.
    assert [source for _, source in listing.sources()] == [inspect.getsource(f) for f in functions]


def test_the_measurements_call_the_listed_functions(monkeypatch):
    """The numeric checks go through the listed functions: replace one and the check sees it."""
    calls = []
    real = smallnet.fold_smallnet

    def spy(*args, **kwargs):
        calls.append(args[1])
        return real(*args, **kwargs)

    monkeypatch.setattr(smallnet, "fold_smallnet", spy)
    smallnet.measure_precision(batches=1, batch_size=2)
    assert calls == list(smallnet.FOLD_MODES)
    assert "net2_from_net1(net1)" in inspect.getsource(net_in_net_torch.verify_net_in_net)
    assert "check_sliding_windows(net1, net2, big)" in inspect.getsource(net_in_net_torch.verify_net_in_net)
    assert "verify_net_in_net" in inspect.getsource(p5_figures._measure_small_widths)
    assert "sn.measure_precision" in inspect.getsource(p3_figures._precision)


def test_the_fold_evaluates_bn_in_eval_mode():
    net = smallnet.synthetic_trained(0).train()
    smallnet.fold_smallnet(net, "float32")
    assert not net.training


def test_a_listing_named_by_path_imports_nothing_until_rendered():
    """Building Problem 5 for grading must not import torch: the listed module loads on render."""
    import subprocess
    import sys

    probe = ("import sys; from derive.core.document import Part; "
             "from derive.documents.hw7.p5_net_in_net import net2_code, sliding_code; "
             "part = Part('x', 'listing', 0); net2_code(part); sliding_code(part); "
             "print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
