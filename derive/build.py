"""Make the PDF: the .tex goes to TeX in a temporary folder, sandboxed and time-limited; the
finished files replace the old ones atomically, so a failed build never costs the last good PDF.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from derive.errors import TexFailed, TexMissing

TEX_SECONDS = 180
INSTALL_TEX = ("sudo apt-get update && sudo apt-get install -y texlive-latex-base "
               "texlive-latex-recommended texlive-fonts-recommended texlive-pictures lmodern latexmk")


def write_atomically(path: Path, data: bytes | str) -> None:
    """Write beside the target, then rename over it: readers see the old file or the new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = data.encode() if isinstance(data, str) else data
    with tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.", delete=False) as handle:
        handle.write(payload)
        temporary = Path(handle.name)
    os.replace(temporary, path)


def tex_command(workdir: Path, name: str) -> list[list[str]]:
    """The TeX runs for ``name.tex``: latexmk where present, else pdflatex twice."""
    flags = ["-no-shell-escape", "-halt-on-error", "-interaction=nonstopmode", "-file-line-error"]
    if shutil.which("latexmk"):
        return [["latexmk", "-pdf", "-quiet", f"-pdflatex=pdflatex {' '.join(flags)} %O %S", f"{name}.tex"]]
    if shutil.which("pdflatex"):
        return [["pdflatex", *flags, f"{name}.tex"]] * 2
    raise TexMissing(f"TeX Live is not installed (no latexmk or pdflatex on PATH); install it with: {INSTALL_TEX}")


def sandbox_environment() -> dict[str, str]:
    env = dict(os.environ)
    # TeX may read and write only below its working folder: no \input{/etc/...}, no stray writes.
    env.update({"openin_any": "p", "openout_any": "p", "shell_escape": "f"})
    return env


def compile_pdf(tex: str, pdf_path: Path, name: str = "hw7") -> None:
    """Run TeX on ``tex`` and move the PDF to ``pdf_path`` only if TeX succeeded."""
    with tempfile.TemporaryDirectory(prefix="derive-tex-") as folder:
        workdir = Path(folder)
        (workdir / f"{name}.tex").write_text(tex)
        for command in tex_command(workdir, name):
            try:
                run = subprocess.run(command, cwd=workdir, env=sandbox_environment(), capture_output=True,
                                     text=True, timeout=TEX_SECONDS, stdin=subprocess.DEVNULL)
            except subprocess.TimeoutExpired:
                raise TexFailed(f"TeX did not finish within {TEX_SECONDS} s; the previous PDF was kept") from None
            if run.returncode != 0:
                log = (workdir / f"{name}.log")
                excerpt = log_excerpt(log.read_text(errors="replace") if log.exists() else run.stdout)
                raise TexFailed(f"TeX failed; the previous PDF was kept. {excerpt.splitlines()[0] if excerpt else ''}".strip(),
                                excerpt)
        produced = workdir / f"{name}.pdf"
        if not produced.exists():
            raise TexFailed("TeX produced no PDF; the previous PDF was kept")
        write_atomically(pdf_path, produced.read_bytes())


_ERROR_LINE = re.compile(r"^(?:.*?:\d+: |! )(.*)$")


def log_excerpt(log: str, context: int = 4) -> str:
    """The error lines of a TeX log with a little context, not the whole log."""
    lines = log.splitlines()
    picked: list[str] = []
    for number, line in enumerate(lines):
        if _ERROR_LINE.match(line):
            picked.extend(lines[number: number + context])
            if len(picked) > 20:
                break
    return "\n".join(picked) if picked else "\n".join(lines[-context * 3:])


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()
