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


def test_a_batch_larger_than_a_chunk_gives_the_outputs_of_one_call():
    net = smallnet.reference_for(smallnet.synthetic_trained(0, 8), "float64")
    x = smallnet.cifar_like_batch(torch.Generator().manual_seed(1), smallnet.CHUNK * 2 + 3)
    (chunked,) = smallnet.outputs(net, [x], torch.float64)
    with torch.no_grad():
        whole = net(x.double())
    assert chunked.shape == whole.shape == (x.shape[0], 10)
    assert torch.allclose(chunked, whole, rtol=1e-12, atol=1e-12)


def test_problem_3s_measurements_stay_well_inside_the_builds_memory_target():
    """The whole build may peak at 500 MB; torch and SymPy alone take about 270 MB of it.
    Measuring the sheet's batches of 100 whole took the process to 530 MB (a float64
    convolution's buffer); in chunks, at fc1 width 64, about 440 MB."""
    import subprocess
    import sys

    # VmHWM, not ru_maxrss: the latter survives exec, so it would report the size of the test
    # process that started this one (over 1 GB late in a full run), not this measurement's peak.
    script = ("import re; from derive.core import measurements; measurements.use_cache(None); "
              "from derive.documents.hw7 import p3_bn_fold, p3_figures; "
              "p3_figures.collect(p3_bn_fold.SETTINGS); "
              "print(int(re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1)) // 1024)")
    peak_mb = int(subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                                 check=True, timeout=300).stdout.split()[-1])
    assert peak_mb < 480
