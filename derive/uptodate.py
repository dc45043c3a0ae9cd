"""Is the last good build still the build these inputs would make? Answered before SymPy loads.

Like make, but by content: after a build that succeeded, a record beside the outputs
(``OUT/.cache/uptodate/KEY.json``, KEY a hash of the command-line options) fingerprints every
input that build had:

* every file of the derive package and its templates (listed afresh, so a new file counts);
* the source of every other module the build had loaded that is not part of Python or an
  installed package (the document file, helper modules it imports), and the names in their
  folders (a new ``helpers.py`` beside the document could shadow an import);
* every file the build opened for reading, or tried to (a data file, a results file that did not
  exist yet), outside Python, the installed packages and derive's own caches;
* the names in every folder the build listed (os.listdir, os.scandir, glob: a new data file);
* the working folder (a file named relatively is another file elsewhere);
* the options, the versions of Python and of the packages the maths and the figures come from,
  the environment variables that change a build, and which TeX would run;
* the hash of every output it published.

A build during which the document started a program (not TeX) records nothing: what that
program read cannot be watched. Not covered: environment variables other than those below, and
files only tested for (os.stat, Path.exists) and never opened or listed. Environment variables
read through os.environ while the build ran are inputs too (not those read by C code).

``previous`` recomputes all of that and returns the old summary only if everything matches and
every output is byte for byte the one that build published; any doubt (no record, a damaged
record, a changed or new file, other options or versions, an altered or missing output) means a
full build. Only the standard library is imported here, so the answer costs a few milliseconds.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Iterable

FORMAT = "derive-uptodate/1"
FOLDER = Path(".cache") / "uptodate"
#: Distributions whose version changes what a build shows (maths, figures, templates, CLI).
DISTRIBUTIONS = ("sympy", "mpmath", "jinja2", "markupsafe", "torch", "numpy", "click", "platformdirs")
#: Environment variables that change a build besides every DERIVE_* one.
ENVIRONMENT = ("PYTHONPATH", "PYTHONHASHSEED", "SOURCE_DATE_EPOCH", "FORCE_SOURCE_DATE", "TEXINPUTS",
               "TEXMFHOME", "TEXMFVAR", "TEXMFCONFIG", "TEXMFLOCAL", "TEXMFCNF", "LANG", "LC_ALL")
#: Files in OUT/.cache that derive itself keeps (caches, the manifest, these records): never inputs.
OWN_CACHE_PREFIXES = ("checks", "measurements", "published.json", "uptodate", ".measurer-")

_PACKAGE = Path(__file__).resolve().parent
_TEMPLATE_FOLDERS = (_PACKAGE / "templates", _PACKAGE.parent / "templates")


@dataclass(frozen=True)
class Inputs:
    """What the command line asked for; the record of a build is kept under a hash of it."""

    document: str | None  # the document file, absolute; None: the built-in document
    parts: tuple[str, ...]
    name: str | None
    title: str | None
    author: str | None
    tex_only: bool
    keep_going: bool

    def key(self) -> str:
        return _sha(json.dumps(asdict(self), sort_keys=True).encode())[:32]


def inputs(document: Path | None, parts: Iterable[str], name: str | None, title: str | None,
           author: str | None, tex_only: bool, keep_going: bool) -> Inputs:
    return Inputs(str(Path(document).resolve()) if document is not None else None, tuple(parts), name,
                  title, author, bool(tex_only), bool(keep_going))


def record_path(out: Path, key: Inputs) -> Path:
    return out / FOLDER / f"{key.key()}.json"


# ── watching what a build reads ─────────────────────────────────────────────────────────────────

_opened: set[str] | None = None  # paths opened for reading while watching; None: not watching
_listed: set[str] = set()  # folders listed while watching (a new file there is a change)
_programs: set[str] = set()  # programs other than TeX started while watching: what they read is unknown
_variables: dict[str, str | None] = {}  # environment variables read while watching, with their values
_hooked = False
#: Programs derive itself runs (TeX); any other program a document starts makes the build unrecordable.
OWN_PROGRAMS = ("latexmk", "pdflatex", "kpsewhich")
_LISTING_EVENTS = ("os.listdir", "os.scandir", "glob.glob")
_PROGRAM_EVENTS = ("subprocess.Popen", "os.system", "os.posix_spawn", "os.spawn", "os.exec")


def _audit(event: str, args: tuple) -> None:
    if _opened is None:
        return
    if event in _LISTING_EVENTS:
        _note_listing(event, args)
        return
    if event in _PROGRAM_EVENTS:
        _note_program(event, args)
        return
    if event != "open":
        return
    path, mode, flags = (tuple(args) + (None, None, None))[:3]
    if not isinstance(path, (str, bytes, os.PathLike)):
        return  # a file descriptor
    if isinstance(mode, str) and any(c in mode for c in "wax+"):
        return
    if mode is None and isinstance(flags, int) and flags & (os.O_WRONLY | os.O_RDWR):
        return
    try:
        _opened.add(os.path.abspath(os.fsdecode(path)))
    except (TypeError, ValueError):
        pass


def _note_listing(event: str, args: tuple) -> None:
    """os.listdir / os.scandir / glob: the folder's names are an input (a new data file there)."""
    target = args[0] if args else None
    if target is None:
        target = "."
    if not isinstance(target, (str, bytes, os.PathLike)):
        return  # a file descriptor
    try:
        folder = os.fsdecode(target)
        if event == "glob.glob":
            folder = os.path.dirname(folder.split("*")[0].split("?")[0].split("[")[0]) or "."
        _listed.add(os.path.abspath(folder))
    except (TypeError, ValueError):
        pass


def _note_program(event: str, args: tuple) -> None:
    """Another program's reads cannot be watched: remember that one ran (TeX aside)."""
    command = args[1] if event == "subprocess.Popen" and len(args) > 1 else (args[0] if args else None)
    if event == "subprocess.Popen" and args and args[0] is not None:
        command = args[0]
    if isinstance(command, (list, tuple)):
        command = command[0] if command else None
    try:
        name = os.path.basename(os.fsdecode(command)) if command is not None else "?"
    except (TypeError, ValueError):
        name = "?"
    if event == "os.system" or name not in OWN_PROGRAMS:
        _programs.add(name)


class _WatchedEnviron(os._Environ):  # type: ignore[misc,name-defined]
    """os.environ that remembers, while watching, which variables were read (get, [], in and
    os.getenv all come through __getitem__): a document's own setting (TINY_N=5) is an input."""

    def __getitem__(self, key):
        try:
            value = super().__getitem__(key)
        except KeyError:
            if _opened is not None and isinstance(key, str) and _read_by_document():
                _variables.setdefault(key, None)
            raise
        if _opened is not None and isinstance(key, str) and _read_by_document():
            _variables.setdefault(key, value)
        return value


_STDLIB = os.path.dirname(os.__file__) + os.sep


def _read_by_document() -> bool:
    """Whether the code reading a variable is the document's or a package's, not derive's own
    or the standard library's (which copy the whole environment for TeX: PATH, SHLVL, _ …)."""
    frame = sys._getframe(2)
    while frame is not None:
        name = frame.f_code.co_filename
        if not (name.startswith("<frozen") or name.endswith(("_collections_abc.py", "os.py"))
                or name == __file__):
            break
        frame = frame.f_back
    if frame is None:
        return False
    name = frame.f_code.co_filename
    return not (name.startswith(str(_PACKAGE) + os.sep) or name.startswith(_STDLIB))


def start_watching() -> None:
    """From now on, remember every file this process opens for reading (an audit hook; hooks
    cannot be removed, so it is installed once and only records while watching)."""
    global _opened, _hooked
    _opened = set()
    _listed.clear()
    _programs.clear()
    _variables.clear()
    if type(os.environ) is os._Environ:  # type: ignore[attr-defined]
        os.environ.__class__ = _WatchedEnviron
    if not _hooked:
        sys.addaudithook(_audit)
        _hooked = True


def watched() -> list[str] | None:
    """The files read so far while watching (None when not watching)."""
    return None if _opened is None else sorted(_opened)


def note_read(paths: Iterable[str]) -> None:
    """Files another process read for this build (the measurer, a fork of this one)."""
    if _opened is not None:
        _opened.update(p for p in paths if isinstance(p, str))


def stop_watching() -> set[str]:
    global _opened
    opened, _opened = _opened or set(), None
    return opened


# ── fingerprints ────────────────────────────────────────────────────────────────────────────────

def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _file_state(path: str) -> str | None:
    """The file's hash; None when there is no such file (its appearing is a change too)."""
    try:
        with open(path, "rb") as handle:
            return _sha(handle.read())
    except (FileNotFoundError, NotADirectoryError):
        return None
    except IsADirectoryError:
        return "directory"


def _tree(folders: Iterable[Path]) -> dict[str, str]:
    """Every file below ``folders`` (compiled caches aside) by path, with its hash."""
    files: dict[str, str] = {}
    for folder in folders:
        for root, dirs, names in os.walk(folder):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__")
            for name in sorted(names):
                if not name.endswith((".pyc", ".pyo")):
                    path = os.path.join(root, name)
                    files[path] = _file_state(path) or "gone"
    return files


def _listing(folder: str) -> str:
    try:
        names = sorted(n for n in os.listdir(folder) if n != "__pycache__")
    except OSError:
        return "unreadable"
    return _sha("\0".join(names).encode())


def _distributions() -> dict[str, str]:
    """name -> version of DISTRIBUTIONS, read from the *.dist-info folder names on sys.path
    (importlib.metadata would cost a tenth of a second), and under "installed" a hash of every
    distribution's name and version there: installing, upgrading or removing any package (one a
    document imports, say) counts as a change too."""
    found: dict[str, str] = {}
    everything: list[str] = []
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        for name in names:
            if name.endswith(".dist-info"):
                everything.append(f"{entry}/{name}")
                project, _, version = name[: -len(".dist-info")].partition("-")
                project = project.lower().replace("-", "_")
                if project in DISTRIBUTIONS and project not in found:
                    found[project] = version
    versions = {name: found.get(name, "absent") for name in DISTRIBUTIONS}
    versions["installed"] = _sha("\0".join(sorted(everything)).encode())
    return versions


def _tex_tools() -> dict[str, str]:
    """Which latexmk and pdflatex would run (path, size, time): another TeX makes another PDF."""
    import shutil

    tools = {}
    for tool in ("latexmk", "pdflatex"):
        where = shutil.which(tool)
        if where is None:
            tools[tool] = "absent"
            continue
        try:
            real = os.path.realpath(where)
            stat = os.stat(real)
            tools[tool] = f"{real} {stat.st_size} {stat.st_mtime_ns}"
        except OSError:
            tools[tool] = "unreadable"
    return tools


def _setting() -> dict[str, Any]:
    """Everything about this run that is not a file: interpreter, versions, environment, TeX."""
    from derive import __version__

    variables = {k: v for k, v in os.environ.items() if k.startswith("DERIVE_") or k in ENVIRONMENT}
    # The working folder: a file the document names relatively is another file elsewhere.
    return {"python": sys.version, "executable": sys.executable, "cwd": os.getcwd(), "derive": __version__,
            "distributions": _distributions(), "environment": dict(sorted(variables.items())),
            "tex": _tex_tools()}


def _installed_roots() -> tuple[str, ...]:
    """Where Python's standard library and installed packages live (both spellings of each:
    as given and with symbolic links resolved)."""
    import sysconfig

    roots = {p for key, p in sysconfig.get_paths().items() if key in ("stdlib", "platstdlib", "purelib", "platlib")}
    roots |= {p for p in sys.path if p.endswith(("site-packages", "dist-packages"))}
    spelled = {os.path.abspath(p) for p in roots} | {os.path.realpath(p) for p in roots}
    return tuple(sorted(root.rstrip(os.sep) + os.sep for root in spelled))


def _outside_python(path: str, roots: tuple[str, ...]) -> bool:
    """Not a file of Python's standard library or of an installed package (those are covered
    by the interpreter's and the distributions' versions)."""
    if os.path.abspath(path).startswith(roots):
        return False
    return not os.path.realpath(path).startswith(roots)


def _module_files() -> list[str]:
    files = []
    for module in list(sys.modules.values()):
        path = getattr(module, "__file__", None)
        if isinstance(path, str) and path.endswith(".py") and os.path.isfile(path):
            files.append(os.path.abspath(path))
    return files


def _is_own(path: str, out: Path, outputs: Iterable[str]) -> bool:
    """A file derive keeps in the output folder: an output of this build or one of its caches."""
    real = os.path.realpath(path)
    folder = os.path.realpath(out)
    if real in {os.path.join(folder, name) for name in outputs}:
        return True
    cache = os.path.join(folder, ".cache")
    if real.startswith(cache + os.sep):
        return os.path.relpath(real, cache).startswith(OWN_CACHE_PREFIXES)
    # TeX's scratch files (read back: the PDF, the log) live in a staging folder inside ``out``.
    return any(part.startswith((".derive-staging-", ".derive.lock")) for part in Path(real).parts)


def _inside(path: str, folders: Iterable[Path]) -> bool:
    return any(path == str(f) or path.startswith(str(f) + os.sep) for f in folders)


# ── the record ──────────────────────────────────────────────────────────────────────────────────

def save(out: Path, key: Inputs, outputs: dict[str, str], summary: dict[str, int],
         report: dict[str, str | None]) -> None:
    """Record the build just published into ``out``: ``outputs`` maps each file it published
    (a name in ``out``) to its hash; ``summary`` and ``report`` are what the CLI prints."""
    listed = set(_listed)
    variables = dict(_variables)
    programs = set(_programs)
    opened = stop_watching()
    if programs:
        # The document ran a program (its reads are unknown): no record, so the next build is real.
        try:
            record_path(out, key).unlink()
        except OSError:
            pass
        return
    package_folders = [_PACKAGE, *(f for f in _TEMPLATE_FOLDERS if f.is_dir())]
    roots = _installed_roots()
    modules = [p for p in _module_files() if not _inside(p, package_folders) and _outside_python(p, roots)]
    read = [p for p in opened if not _inside(p, package_folders) and not _is_own(p, out, outputs)
            # a compiled cache of a module whose source is recorded (a .pyc beside, not in
            # __pycache__, is imported without source: it is the source)
            and not (p.endswith((".pyc", ".pyo")) and os.path.basename(os.path.dirname(p)) == "__pycache__")
            and not p.startswith(("/proc/", "/dev/", "/sys/")) and _outside_python(p, roots)]
    files = {p: _file_state(p) for p in sorted(set(modules) | set(read))}
    record = {
        "format": FORMAT,
        "inputs": asdict(key),
        "setting": _setting(),
        "package": _tree(package_folders),
        "files": {p: state for p, state in files.items() if state != "directory"},
        "variables": dict(sorted(variables.items())),
        "listings": {folder: _listing(folder) for folder in sorted(
            {os.path.dirname(p) for p in modules}
            | {f for f in listed if not _inside(f, package_folders)
               and not _inside(os.path.realpath(f), [Path(os.path.realpath(out))])  # derive's own folder
               and _outside_python(f, roots)})},
        "outputs": outputs,
        "summary": summary,
        "report": report,
    }
    from derive.build import write_atomically

    write_atomically(record_path(out, key), json.dumps(record, indent=1) + "\n")


def previous(out: Path, key: Inputs) -> dict[str, Any] | None:
    """The record of the last good build with these inputs if nothing it depended on changed
    and its outputs are intact; None on any doubt (the caller then builds)."""
    try:
        record = json.loads(record_path(out, key).read_text(encoding="utf-8"))
        if not _still_valid(out, key, record):
            return None
    except (OSError, ValueError, TypeError, KeyError, AttributeError, RecursionError):
        return None
    return record


def _still_valid(out: Path, key: Inputs, record: dict[str, Any]) -> bool:
    if record.get("format") != FORMAT or record.get("inputs") != json.loads(json.dumps(asdict(key))):
        return False
    outputs, summary, report = record["outputs"], record["summary"], record["report"]
    if not isinstance(outputs, dict) or not outputs:
        return False
    if not all(isinstance(summary.get(k), int) for k in ("verified", "numeric-only", "definition", "failed")):
        return False
    if not all(report.get(k) in outputs for k in ("tex", "json")) or report.get("pdf") not in (None, *outputs):
        return False
    # Cheapest first: the outputs are the ones that build published (and the manifest agrees) …
    manifest = json.loads((out / ".cache" / "published.json").read_text(encoding="utf-8"))
    for name, digest in outputs.items():
        if os.sep in name or name.startswith("."):
            return False
        entry = manifest.get(name)
        if not isinstance(entry, dict) or entry.get("sha256") != digest:
            return False
        if _file_state(str(out / name)) != digest:
            return False
    # … then every input.
    if record["setting"] != json.loads(json.dumps(_setting())):
        return False
    package_folders = [_PACKAGE, *(f for f in _TEMPLATE_FOLDERS if f.is_dir())]
    if record["package"] != _tree(package_folders):
        return False
    if any(_listing(folder) != listed for folder, listed in record["listings"].items()):
        return False
    if any(os.environ.get(name) != value for name, value in record["variables"].items()):
        return False
    return all(_file_state(path) == state for path, state in record["files"].items())
