"""Build-time torch measurements stay cheap: one thread, one synthetic net per build, the
smallest network that still shows the effect, and the PDF names the size that was measured."""

from __future__ import annotations

import pytest

from derive.core import measurements

torch = pytest.importorskip("torch")

from derive.documents.hw7 import p3_bn_fold, p3_figures, p5_figures, smallnet  # noqa: E402

pytestmark = pytest.mark.torch
TINY = p3_figures.PrecisionSettings(batches=1, batch_size=2, seed=0, hidden=8)


@pytest.fixture(autouse=True)
def no_cache():
    measurements.use_cache(None)
    yield
    measurements.use_cache(None)


def test_problem_3_builds_its_synthetic_net_once_per_build(monkeypatch):
    built = []
    original = smallnet.synthetic_trained
    monkeypatch.setattr(smallnet, "synthetic_trained", lambda *a, **k: built.append(a) or original(*a, **k))
    p3_figures.collect(TINY)
    assert len(built) == 1
    assert not p3_figures._shared  # released after measuring: forked check workers must not carry it


def test_shared_references_give_the_same_figures_as_measuring_alone():
    figures = p3_figures.collect(TINY)
    alone = smallnet.measure_precision(TINY.batches, TINY.batch_size, TINY.seed,
                                       net=smallnet.synthetic_trained(TINY.seed, TINY.hidden))
    assert [row["max_abs_diff"] for row in figures["precision"]["rows"]] == [r.max_abs_diff for r in alone]
    unscaled = [r for r in figures["wrong_folds"]["rows"] if r["fold"] == "unscaled bias" and r["biases"]]
    net = smallnet.synthetic_trained(TINY.seed, TINY.hidden)
    generator = torch.Generator().manual_seed(TINY.seed + 1)
    inputs = [smallnet.cifar_like_batch(generator, TINY.batch_size)]
    direct = smallnet.compare(smallnet.reference_for(net, "float32"),
                              smallnet.fold_smallnet(net, "float32", fold=p3_figures.fold_with_unscaled_bias),
                              inputs, "float32")
    assert unscaled[0]["max_abs_diff"] == direct.max_abs_diff


@pytest.mark.parametrize("measure", [lambda: p3_figures.collect(TINY), p5_figures.small_width_checks])
def test_measurements_run_on_one_torch_thread_and_restore_the_setting(monkeypatch, measure):
    seen = []
    original = torch.nn.functional.conv2d
    monkeypatch.setattr(torch.nn.functional, "conv2d",
                        lambda *a, **k: seen.append(torch.get_num_threads()) or original(*a, **k))
    torch.set_num_threads(2)
    measure()
    assert seen and set(seen) == {1}
    assert torch.get_num_threads() == 2


def test_the_build_measures_a_narrow_fc1_and_the_pdf_says_so():
    settings = p3_bn_fold.SETTINGS
    assert settings.hidden < smallnet.SHEET_HIDDEN
    text = p3_bn_fold.network_text(settings.hidden)
    assert f"narrowed from 1024 to {settings.hidden}" in text and "16384" in text
    assert p3_bn_fold.network_text(1024).startswith("the sheet's network (")
    shown = p3_bn_fold.short_network_text(settings.hidden)  # what the model solution prints
    assert f"narrowed to {settings.hidden} outputs" in shown and "16384" in shown
    assert p3_bn_fold.short_network_text(1024) == "the sheet's network"


def test_the_tolerance_follows_the_measured_width():
    figures = p3_figures.collect(TINY)
    assert figures["precision"]["dot_lengths"] == [27, 144, 16384, 8]
    assert figures["precision"]["tolerance_eps"] == smallnet.folding_tolerance_eps((27, 144, 16384, 8))
