"""Every file TeX reads for the document comes from a Debian package that scripts/setup.sh
installs by Depends alone (issue 11: a fresh machine lacked lmodern.sty, a Recommends only).

TeX runs with -recorder; each INPUT of its .fls is looked up with `dpkg -S` and its package must
lie in the Depends closure (`apt-cache depends --recurse --no-recommends ...`) of the package
list read from the setup script itself. Two documents are compiled: the real one, as
`derive build --tex-only` writes it, and a probe that loads every LaTeX package the templates name
plus the ones the document may use (TikZ, pgfplots, listings, T1 lmodern fonts, ...), so a
template that starts using one of them is covered before the content does.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from derive.cli import main

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "setup.sh"
TEX_SECONDS = 300

pytestmark = [
    pytest.mark.tex,
    pytest.mark.skipif(shutil.which("dpkg-query") is None or shutil.which("apt-cache") is None,
                       reason="not a Debian system: dpkg and apt-cache are needed to know which package owns a file"),
]

# Written by the TeX packages' maintainer scripts from files those packages ship (update-texmf,
# fmtutil, updmap), so dpkg owns their sources, not them. Anything else must have an owner.
GENERATED = ("/etc/texmf/web2c/texmf.cnf", "/var/lib/texmf/web2c/", "/var/lib/texmf/fonts/map/")

# The package list before issue 11 was fixed: what a fresh machine got, and lacked lmodern.sty.
OLD_PACKAGES = ["texlive-latex-base", "texlive-latex-recommended", "texlive-fonts-recommended", "latexmk",
                "poppler-utils"]

# LaTeX packages the document may use even where no template names them yet: (name, options).
PROBE_PACKAGES = [
    ("fontenc", "T1"), ("lmodern", ""), ("geometry", "margin=2cm"), ("amsmath", ""), ("amssymb", ""),
    ("amsthm", ""), ("mathtools", ""), ("bm", ""), ("booktabs", ""), ("longtable", ""), ("array", ""),
    ("tabularx", ""), ("multicol", ""), ("xcolor", ""), ("graphicx", ""), ("caption", ""),
    ("subcaption", ""), ("float", ""), ("microtype", ""), ("url", ""), ("tikz", ""), ("pgfplots", ""),
    ("listings", ""), ("hyperref", ""),
]
TIKZ_LIBRARIES = ["arrows.meta", "positioning", "calc", "decorations.pathreplacing", "shapes.geometric",
                  "matrix", "fit", "backgrounds", "patterns"]
PGFPLOTS_LIBRARIES = ["groupplots", "fillbetween"]
LOAD_LAST = {"hyperref"}  # hyperref wants to come after the packages it patches

PROBE_BODY = r"""
\begin{document}
\section{Probe: Łukasz Dvořák}
T1 text: Łukasz Dvořák, Ærø, «ça», \textbf{Łódź}, \textit{Dvořák}, \textsc{Small Caps},
\texttt{mono\_text}, \textsf{sans}, \textbf{\texttt{bold mono}}, \textcolor{red!70!black}{colour},
\colorbox{gray!20}{box}, \url{https://example.org/a_b}, \href{https://example.org}{link}.
\begin{align}
  \frac{\partial}{\partial x_k}\log\sum_{i=1}^{n} e^{x_i} &= \frac{e^{x_k}}{\sum_{i} e^{x_i}}
  \quad \bm{W}\in\mathbb{R}^{m\times n},\ \mathcal{L},\ \mathfrak{g} \\
  f(x) &\coloneqq \max_{j} x_j \leqslant \lim_{\beta\to\infty}\tfrac{1}{\beta}\log\textstyle\sum e^{\beta x}
\end{align}
\begin{theorem}A theorem in amsthm style.\end{theorem}
\begin{tabular}{lr}\toprule name & value\\\midrule \multicolumn{2}{c}{\bfseries span}\\\bottomrule\end{tabular}
\begin{tabularx}{\linewidth}{lX}a & b\end{tabularx}
\begin{figure}[H]\centering
\begin{subfigure}{0.45\linewidth}
\begin{tikzpicture}[>=Stealth, node distance=1cm]
  \node[draw, rectangle] (a) {$x$};
  \node[draw, circle, right=of a] (b) {$\sigma(x)$};
  \node[draw, diamond, below=of b] (c) {$y$};
  \draw[->] (a) -- (b);
  \draw[->] (b) -- node[midway, right] {\small T1 Ł} (c);
  \draw[decorate, decoration={brace, amplitude=4pt}] (0,-1) -- ($(0,-1)+(2,0)$);
  \fill[pattern=north east lines] (3,0) rectangle (4,1);
  \matrix[matrix of math nodes, fit=(a)] {1 & 2\\ 3 & 4\\};
\end{tikzpicture}
\caption{TikZ}
\end{subfigure}
\begin{subfigure}{0.45\linewidth}
\begin{tikzpicture}
\begin{axis}[width=6cm, xlabel={$n$}, ylabel={$\log n$}, xmode=log, legend pos=north west]
  \addplot[domain=1:100, samples=20, name path=f] {ln(x)};
  \addplot[domain=1:100, samples=20, name path=g] {ln(x)+1};
  \addplot[fill=gray!20] fill between[of=f and g];
  \addplot+[mark=*] coordinates {(1,0) (10,2.3) (100,4.6)};
  \legend{$\ln n$, $\ln n + 1$}
\end{axis}
\end{tikzpicture}
\caption{pgfplots}
\end{subfigure}
\caption{Figures}
\end{figure}
\begin{tikzpicture}
\begin{groupplot}[group style={group size=2 by 1}, width=5cm]
  \nextgroupplot \addplot coordinates {(0,0) (1,1)};
  \nextgroupplot[ybar] \addplot coordinates {(0,1) (1,2)};
\end{groupplot}
\end{tikzpicture}
\begin{lstlisting}[language=Python, basicstyle=\ttfamily\small, keywordstyle=\bfseries,
                   commentstyle=\itshape, numbers=left, frame=single, columns=fullflexible]
import torch
def fold_bn(w, b, gamma, beta, mean, var, eps=1e-5):
    scale = gamma / torch.sqrt(var + eps)  # "quotes" and 'quotes'
    return w * scale[:, None, None, None], (b - mean) * scale + beta
\end{lstlisting}
Inline code: \lstinline[language=Python]|x = [1, 2]|.
\begin{multicols}{2}one\columnbreak two\end{multicols}
\end{document}
"""


@dataclass(frozen=True)
class Usage:
    packages: list[tuple[str, str]]
    tikz_libraries: list[str]
    pgfplots_libraries: list[str]


def template_files() -> list[Path]:
    return sorted({*ROOT.glob("templates/**/*.j2"), *ROOT.glob("derive/**/templates/**/*.j2")})


_LOAD = re.compile(r"\\(?:usepackage|RequirePackage)\s*(?:\[([^\]]*)\])?\s*\{([^}]*)\}")
_LIBRARY = re.compile(r"\\use(tikz|pgfplots)library\s*\{([^}]*)\}")


def template_usage() -> Usage:
    """The packages and libraries the templates load, in order, with their options."""
    packages: list[tuple[str, str]] = []
    libraries: dict[str, list[str]] = {"tikz": [], "pgfplots": []}
    for path in template_files():
        text = re.sub(r"(?m)(?<!\\)%.*$", "", path.read_text())
        for options, names in _LOAD.findall(text):
            for name in (n.strip() for n in names.split(",")):
                # A name or option made by a Jinja expression cannot be probed statically.
                if name and not re.search(r"[({]", name + options) and name not in [p for p, _ in packages]:
                    packages.append((name, " ".join(options.split())))
        for kind, names in _LIBRARY.findall(text):
            libraries[kind] += [n.strip() for n in names.split(",") if n.strip()]
    return Usage(packages, libraries["tikz"], libraries["pgfplots"])


def probe_tex() -> str:
    usage = template_usage()
    named = {name for name, _ in usage.packages}
    early = [p for p in PROBE_PACKAGES if p[0] not in named and p[0] not in LOAD_LAST]
    late = [p for p in PROBE_PACKAGES if p[0] not in named and p[0] in LOAD_LAST]
    lines = [r"\documentclass[11pt,a4paper]{article}"]
    for name, options in early + usage.packages + late:
        lines.append(rf"\usepackage[{options}]{{{name}}}" if options else rf"\usepackage{{{name}}}")
    lines.append(r"\usetikzlibrary{" + ",".join(dict.fromkeys(TIKZ_LIBRARIES + usage.tikz_libraries)) + "}")
    lines.append(r"\usepgfplotslibrary{" + ",".join(dict.fromkeys(PGFPLOTS_LIBRARIES + usage.pgfplots_libraries))
                 + "}")
    lines += [r"\pgfplotsset{compat=1.18}", r"\newtheorem{theorem}{Theorem}"]
    return "\n".join(lines) + PROBE_BODY


def setup_packages() -> list[str]:
    """TEX_PACKAGES exactly as scripts/setup.sh defines it: the script is sourced, not copied."""
    run = subprocess.run(["bash", "-c", f'source "{SCRIPT}" && echo "$TEX_PACKAGES"'], capture_output=True,
                         text=True, check=True)
    packages = run.stdout.split()
    assert packages, "scripts/setup.sh defines no TEX_PACKAGES"
    return packages


def _bare(package: str) -> str:
    return package.split(":", 1)[0]  # texlive-binaries:amd64 → texlive-binaries


def depends_closure(roots: list[str]) -> set[str]:
    """The packages apt-get installs for ``roots`` with --no-install-recommends on a machine that has
    none of them: Depends and Pre-Depends, recursively; of alternatives ``a | b`` the first, which is
    what apt picks when neither is there. A virtual package counts as all of its providers (they
    are perl and debconf, not TeX)."""
    flags = ["--no-recommends", "--no-suggests", "--no-conflicts", "--no-breaks", "--no-replaces", "--no-enhances"]
    run = subprocess.run(["apt-cache", "depends", "--recurse", *flags, *roots], capture_output=True, text=True)
    assert run.returncode == 0, f"apt-cache depends failed (run apt-get update first?): {run.stderr.strip()}"
    groups: dict[str, list[list[str]]] = {}
    providers: dict[str, list[str]] = {}
    current, pending, last = "", [], ""
    for line in run.stdout.splitlines():
        if not line.startswith(" "):
            current = _bare(line.strip())
            groups.setdefault(current, [])
        elif line.startswith("    "):
            providers.setdefault(last, []).append(_bare(line.strip()))
        elif match := re.match(r"\s*(\|?)(?:PreDepends|Depends): (\S+)$", line):
            last = match.group(2)
            pending.append(last)
            if not match.group(1):  # no "|": the group of alternatives is complete
                groups[current].append(pending)
                pending = []
    missing = [root for root in roots if root not in groups]
    assert not missing, f"apt-cache knows no package {missing}"
    closure: set[str] = set()
    queue = list(roots)
    while queue:
        package = queue.pop()
        if package in closure:
            continue
        closure.add(package)
        for group in groups.get(package, []):
            first = group[0]
            queue += providers.get(first, []) if first.startswith("<") else [_bare(first)]
    return closure


def recorded_inputs(folder: Path, name: str) -> set[str]:
    """The files outside ``folder`` that TeX opened to make ``name``.pdf (latexmk -recorder)."""
    latexmk = shutil.which("latexmk")
    assert latexmk, "latexmk is not installed: run `bash scripts/setup.sh test`"
    env = dict(os.environ, openin_any="p", openout_any="p", shell_escape="f")
    pdflatex = "pdflatex -no-shell-escape -halt-on-error -interaction=nonstopmode -file-line-error %O %S"
    run = subprocess.run([latexmk, "-pdf", "-recorder", "-quiet", f"-pdflatex={pdflatex}", f"{name}.tex"],
                         cwd=folder, env=env, capture_output=True, text=True, timeout=TEX_SECONDS,
                         stdin=subprocess.DEVNULL)
    log = folder / f"{name}.log"
    errors = [line for line in (log.read_text(errors="replace") if log.exists() else run.stdout).splitlines()
              if line.startswith("!") or ": LaTeX Error" in line or "not found" in line]
    assert run.returncode == 0, f"TeX failed on {name}.tex: {errors[:5] or run.stderr[-2000:]}"
    inputs = set()
    for line in (folder / f"{name}.fls").read_text(errors="replace").splitlines():
        if line.startswith("INPUT "):
            path = line[len("INPUT "):]
            if path.startswith("/") and not Path(path).is_relative_to(folder) \
                    and not Path(path).resolve().is_relative_to(folder.resolve()):
                inputs.add(path)
    return inputs


def owners(paths: set[str]) -> dict[str, set[str]]:
    """path → the packages dpkg says own it (empty: none). Looked up as TeX named it, then with its
    symbolic links resolved, since a package may ship either spelling."""
    found: dict[str, set[str]] = {path: set() for path in paths}

    def ask(queries: dict[str, str]) -> None:
        if not queries:
            return
        run = subprocess.run(["dpkg-query", "-S", *sorted(queries)], capture_output=True, text=True)
        for line in run.stdout.splitlines():
            if line.startswith("diversion ") or ": " not in line:
                continue
            packages, path = line.split(": ", 1)
            if path in queries:
                found[queries[path]] |= {_bare(p.strip()) for p in packages.split(",")}

    ask({path: path for path in paths})
    ask({os.path.realpath(path): path for path in paths if not found[path] and os.path.realpath(path) != path})
    return found


def closure_problems(inputs: set[str], closure: set[str]) -> list[str]:
    """One line per file TeX read that is neither generated nor owned by a package of ``closure``."""
    problems = []
    for path, packages in sorted(owners({p for p in inputs if not p.startswith(GENERATED)}).items()):
        if not packages:
            problems.append(f"{path}: no Debian package owns it")
        elif not packages & closure:
            problems.append(f"{path}: from {', '.join(sorted(packages))}, which the setup does not install")
    return problems


@pytest.fixture(scope="module")
def closure() -> set[str]:
    return depends_closure(setup_packages())


@pytest.fixture(scope="module")
def probe_inputs(tmp_path_factory) -> set[str]:
    folder = tmp_path_factory.mktemp("probe")
    (folder / "probe.tex").write_text(probe_tex())
    return recorded_inputs(folder, "probe")


def test_every_file_the_probe_reads_comes_from_the_setup_packages(probe_inputs, closure):
    assert any(p.endswith("/lmodern.sty") for p in probe_inputs)
    assert any(p.endswith("/pgfplots.sty") for p in probe_inputs)
    assert not closure_problems(probe_inputs, closure), "\n".join(closure_problems(probe_inputs, closure))


def test_every_file_the_document_reads_comes_from_the_setup_packages(tmp_path, closure):
    out = tmp_path / "out"
    # --keep-going: a step that fails (or runs out of time on a loaded machine) is typeset with
    # its × mark instead of stopping the build; which files TeX reads is all this test is about.
    result = CliRunner().invoke(main, ["build", "--tex-only", "--keep-going", "--out", str(out), "-q"])
    assert result.exit_code in (0, 1), result.output
    folder = tmp_path / "tex"
    shutil.copytree(out, folder, ignore=shutil.ignore_patterns(".cache"))
    documents = [p for p in sorted(folder.glob("*.tex")) if r"\documentclass" in p.read_text()]
    assert documents, "derive build --tex-only wrote no .tex document"
    for document in documents:
        inputs = recorded_inputs(folder, document.stem)
        assert any(p.endswith(".pfb") for p in inputs), "the font files TeX embedded were not recorded"
        problems = closure_problems(inputs, closure)
        assert not problems, f"{document.name}:\n" + "\n".join(problems)


def test_the_check_rejects_the_package_list_that_failed_on_a_fresh_machine(probe_inputs):
    # The issue-11 list: lmodern came only as a Recommends, TikZ not at all. The check must see both.
    problems = "\n".join(closure_problems(probe_inputs, depends_closure(OLD_PACKAGES)))
    assert re.search(r"/lmodern\.sty: from lmodern,", problems)
    assert re.search(r"/tikz\.sty: from texlive-pictures,", problems)


def test_unowned_files_are_reported():
    assert closure_problems({"/usr/share/texmf/tex/latex/no-such-file.sty"}, {"lmodern"}) == [
        "/usr/share/texmf/tex/latex/no-such-file.sty: no Debian package owns it"]


def test_the_closure_follows_depends_but_not_recommends():
    closure = depends_closure(["texlive-latex-base"])
    assert {"texlive-latex-base", "texlive-base", "tex-common", "texlive-binaries"} <= closure
    assert "lmodern" not in closure  # only a Recommends of the TeX packages


def test_the_closure_is_what_apt_get_installs_on_an_empty_machine(tmp_path, closure):
    # apt's own resolver, simulated against an empty dpkg status: the reading of apt-cache's
    # output (alternatives, virtual packages) must agree with it package for package.
    empty = tmp_path / "status"
    empty.write_text("")
    run = subprocess.run(["apt-get", "-s", "-o", f"Dir::State::status={empty}", "install",
                          "--no-install-recommends", *setup_packages()], capture_output=True, text=True)
    if run.returncode != 0 and "Unable to locate package" in run.stderr:
        pytest.skip("apt has no package lists (run apt-get update) to simulate a fresh install")
    assert run.returncode == 0, run.stderr
    simulated = {_bare(line.split()[1]) for line in run.stdout.splitlines() if line.startswith("Inst ")}
    assert simulated == closure


def test_the_probe_loads_every_package_the_templates_load():
    usage = template_usage()
    assert template_files(), "no templates found"
    assert ("fontenc", "T1") in usage.packages and ("hyperref", "hidelinks") in usage.packages
    probe = probe_tex()
    for name, _ in usage.packages + PROBE_PACKAGES:
        assert re.search(r"\\usepackage(\[[^\]]*\])?\{" + re.escape(name) + "}", probe), name
