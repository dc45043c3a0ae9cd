"""Make the PDF: the .tex goes to TeX in a temporary folder, sandboxed and time-limited; the
finished files replace the old ones atomically, so a failed build never costs the last good PDF.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from derive.errors import TexFailed, TexMissing

TEX_SECONDS = 180
INSTALL_TEX = ("sudo apt-get update && sudo apt-get install -y texlive-latex-base "
               "texlive-latex-recommended texlive-fonts-recommended texlive-pictures lmodern latexmk")


def _umask() -> int:
    """The process umask, read without changing it where the system allows."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_atomically(path: Path, data: bytes | str) -> None:
    """Write beside the target, then rename over it: readers see the old file or the new one.

    The file gets the permissions of any new file (0666 less the umask), not mkstemp's 0600.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = data.encode() if isinstance(data, str) else data
    with tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.", delete=False) as handle:
        temporary = Path(handle.name)
        try:
            handle.write(payload)
            os.chmod(handle.fileno() if os.chmod in os.supports_fd else temporary, 0o666 & ~_umask())
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
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


def _limit_cpu() -> None:  # pragma: no cover - runs in the TeX child before exec
    # A backstop the kernel enforces even if derive itself is killed: TeX cannot spin for ever.
    import resource

    resource.setrlimit(resource.RLIMIT_CPU, (TEX_SECONDS + 5, TEX_SECONDS + 10))


def _run_tex(command: list[str], workdir: Path) -> tuple[int, str]:
    """Run one TeX command in its own process group; at the limit (or any exception) the whole
    group dies — latexmk and the pdflatex it started."""
    posix = os.name == "posix"
    process = subprocess.Popen(command, cwd=workdir, env=sandbox_environment(), stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, errors="replace", stdin=subprocess.DEVNULL,
                               start_new_session=posix, preexec_fn=_limit_cpu if posix else None)
    try:
        output, _ = process.communicate(timeout=TEX_SECONDS)
        return process.returncode, output
    except subprocess.TimeoutExpired:
        raise TexFailed(f"TeX did not finish within {TEX_SECONDS} s; the previous PDF was kept") from None
    finally:
        _kill_group(process)


def _kill_group(process: subprocess.Popen) -> None:
    if os.name == "posix":
        try:
            os.killpg(process.pid, signal.SIGKILL)  # the group outlives its leader: kill it anyway
        except (ProcessLookupError, PermissionError):
            pass
    elif process.poll() is None:
        process.kill()
    process.wait()
    if process.stdout is not None:
        process.stdout.close()


def compile_pdf(tex: str, pdf_path: Path, name: str = "hw7") -> None:
    """Run TeX on ``tex`` and move the PDF to ``pdf_path`` only if TeX succeeded."""
    write_atomically(pdf_path, typeset(tex, name))


def typeset(tex: str, name: str = "hw7", scratch: Path | None = None) -> bytes:
    """The PDF TeX makes of ``tex``, in a temporary folder that is removed afterwards.

    ``scratch``: where to make that folder (a build passes a staging folder inside its output
    folder, so that even a SIGKILLed build's TeX files are removed by the next build).
    """
    with tempfile.TemporaryDirectory(prefix="derive-tex-", dir=scratch) as folder:
        workdir = Path(folder)
        (workdir / f"{name}.tex").write_text(tex, encoding="utf-8")
        for command in tex_command(workdir, name):
            returncode, output = _run_tex(command, workdir)
            if returncode != 0:
                log = (workdir / f"{name}.log")
                excerpt = log_excerpt(log.read_text(errors="replace") if log.exists() else output)
                raise TexFailed(f"TeX failed; the previous PDF was kept. {excerpt.splitlines()[0] if excerpt else ''}".strip(),
                                excerpt)
        produced = workdir / f"{name}.pdf"
        if not produced.exists():
            raise TexFailed("TeX produced no PDF; the previous PDF was kept")
        return produced.read_bytes()


def looks_complete(pdf: bytes) -> bool:
    """A PDF TeX finished writing: the header, and the end-of-file marker near the end."""
    return pdf.startswith(b"%PDF-") and b"%%EOF" in pdf[-1024:]


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
