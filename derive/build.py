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
import threading
import time
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


#: pdflatex passes at most; a document whose log still asks for a rerun after these is kept as is
#: (latexmk's own limit is 5 runs).
MAX_PASSES = 4
# What LaTeX and its packages print when a pass read auxiliary data that the pass itself changed:
# the kernel's "Label(s) may have changed. Rerun …", hyperref/rerunfilecheck's "Rerun to get
# outlines right", longtable's "Table widths have changed. Rerun LaTeX." (Not any "rerun": the log
# lists rerunfilecheck's own description, "Rerun checks for auxiliary files", on every pass.)
_RERUN = re.compile(r"Rerun to get|Rerun LaTeX|[Pp]lease rerun|Label\(s\) may have changed|"
                    r"Table widths have changed|[Rr]erun (?:the document|needed|required)")


def tex_command(name: str) -> list[str]:
    """One pdflatex pass over ``name.tex`` (typeset decides how many passes are needed)."""
    flags = ["-no-shell-escape", "-halt-on-error", "-interaction=nonstopmode", "-file-line-error"]
    if shutil.which("pdflatex"):
        return ["pdflatex", *flags, f"{name}.tex"]
    raise TexMissing(f"TeX Live is not installed (no pdflatex on PATH); install it with: {INSTALL_TEX}")


def needs_another_pass(log: str) -> bool:
    """Whether a pass's log says the next pass would typeset differently (references, outlines,
    table widths); a pass that asks nothing is final, so a document without any needs one pass."""
    return _RERUN.search(log) is not None


def sandbox_environment() -> dict[str, str]:
    env = dict(os.environ)
    # TeX may read and write only below its working folder: no \input{/etc/...}, no stray writes.
    env.update({"openin_any": "p", "openout_any": "p", "shell_escape": "f"})
    return env


def _limit_cpu() -> None:  # pragma: no cover - runs in the TeX child before exec
    # A backstop the kernel enforces even if derive itself is killed: TeX cannot spin for ever.
    import resource

    resource.setrlimit(resource.RLIMIT_CPU, (TEX_SECONDS + 5, TEX_SECONDS + 10))


# The TeX process groups running now (two documents are typeset at once, one per thread), so
# that a build interrupted while waiting for one of them can end them all (stop_all).
_running: set[subprocess.Popen] = set()
_running_lock = threading.Lock()
_stopped = threading.Event()  # set by stop_all: no new TeX pass starts until allow()


def _run_tex(command: list[str], workdir: Path, seconds: float = TEX_SECONDS) -> tuple[int, str]:
    """Run one TeX command in its own process group; at the limit (or any exception) the whole
    group dies, and anything TeX started with it."""
    posix = os.name == "posix"
    with _running_lock:  # registered before anyone can call stop_all and miss it
        if _stopped.is_set():
            raise TexFailed("TeX was stopped; the previous PDF was kept")
        process = subprocess.Popen(command, cwd=workdir, env=sandbox_environment(), stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True, errors="replace", stdin=subprocess.DEVNULL,
                                   start_new_session=posix, preexec_fn=_limit_cpu if posix else None)
        _running.add(process)
    try:
        output, _ = process.communicate(timeout=max(seconds, 0.0))
        return process.returncode, output
    except subprocess.TimeoutExpired:
        raise TexFailed(f"TeX did not finish within {TEX_SECONDS} s; the previous PDF was kept") from None
    finally:
        with _running_lock:
            _running.discard(process)
        _kill_group(process)


def allow() -> None:
    """TeX may run again (after stop_all, for the next build in this process)."""
    _stopped.clear()


def stop_all() -> None:
    """Kill every TeX process group this process is running, and start no new pass until
    allow() (called when a build is interrupted or one document failed: the threads typesetting
    the others then return at once)."""
    with _running_lock:
        _stopped.set()
        running = list(_running)
    for process in running:
        try:
            if os.name == "posix":
                os.killpg(process.pid, signal.SIGKILL)
            else:  # pragma: no cover
                process.kill()
        except (ProcessLookupError, PermissionError, OSError):
            pass


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
        command = tex_command(name)
        deadline = time.monotonic() + TEX_SECONDS  # one limit for all passes together
        for _ in range(MAX_PASSES):
            returncode, output = _run_tex(command, workdir, deadline - time.monotonic())
            log_path = workdir / f"{name}.log"
            log = log_path.read_text(errors="replace") if log_path.exists() else output
            if returncode != 0:
                excerpt = log_excerpt(log)
                raise TexFailed(f"TeX failed; the previous PDF was kept. {excerpt.splitlines()[0] if excerpt else ''}".strip(),
                                excerpt)
            if not needs_another_pass(log):
                break
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
