"""The solution and its companion check log are typeset at the same time (TeX is one process per
document; on two cores that halves the TeX phase), and when one fails or the build is interrupted
the other's TeX is killed, not waited for."""

from __future__ import annotations

import shutil
import threading
import time

import pytest

from derive import build as tex_build
from derive import pipeline
from derive.errors import TexFailed

from conftest import FAKE_PDF


def test_the_two_typesettings_overlap(tmp_path, monkeypatch):
    spans: dict[str, tuple[float, float]] = {}
    both_running = threading.Barrier(2, timeout=20)

    def typeset(tex, name="hw7", scratch=None):
        started = time.monotonic()
        both_running.wait()  # raises BrokenBarrierError unless the other is running meanwhile
        spans[name] = (started, time.monotonic())
        return FAKE_PDF + name.encode()

    monkeypatch.setattr(pipeline, "typeset", typeset)
    report = pipeline.build(pipeline.BuildOptions(("1b",), tmp_path))
    assert set(spans) == {"hw7-p1b", "hw7-p1b-checks"}
    assert report.pdf_path.read_bytes().endswith(b"hw7-p1b")
    assert (tmp_path / "hw7-p1b-checks.pdf").read_bytes().endswith(b"hw7-p1b-checks")


@pytest.mark.tex
@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="TeX Live is not installed")
def test_a_failure_of_one_kills_the_others_tex(tmp_path, monkeypatch):
    spinning = r"\documentclass{article}\begin{document}\def\x{\x}\x\end{document}"
    real = tex_build.typeset

    def typeset(tex, name="hw7", scratch=None):
        if name.endswith("-checks"):
            return real(spinning, name, scratch)  # would spin until TEX_SECONDS
        time.sleep(1.0)  # let the companion's TeX start
        raise TexFailed("TeX failed; the previous PDF was kept. boom", "boom")

    monkeypatch.setattr(pipeline, "typeset", typeset)
    started = time.monotonic()
    with pytest.raises(TexFailed, match="boom"):
        pipeline.build(pipeline.BuildOptions(("1b",), tmp_path))
    assert time.monotonic() - started < 60  # TEX_SECONDS is 180: the companion was killed
    assert not tex_build._running
    assert not list(tmp_path.glob(".derive-staging-*"))
    assert not (tmp_path / "hw7-p1b.pdf").exists() and (tmp_path / "hw7-p1b.tex").exists()
