"""scripts/setup.sh installs the missing Debian packages, by package not by binary: apt-get update
first, Depends only, as root without sudo, nothing when all is there (idempotent).

apt-get, dpkg-query, sudo and id are stand-ins on PATH that record what they are asked; nothing
is installed on this machine.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from derive import build as tex_build

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "setup.sh"

pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")

STUBS = {
    # ${Status} of a package: from the file "installed" ("name" or "name status words").
    "dpkg-query": r"""#!/bin/sh
package=$(eval echo "\${$#}")
line=$(grep -E "^$package( |\$)" "$STUB_STATE/installed" || true)
if [ -z "$line" ]; then echo "dpkg-query: no packages found matching $package" >&2; exit 1; fi
status=${line#"$package"}; status=${status# }
printf '%s' "${status:-install ok installed}"
""",
    "apt-get": r"""#!/bin/sh
echo "apt-get $* (uid $STUB_UID, DEBIAN_FRONTEND=${DEBIAN_FRONTEND:-})" >> "$STUB_STATE/log"
seen_install=
for word in "$@"; do
  case "$word" in
    install) seen_install=1 ;;
    -*) ;;
    *) if [ -n "$seen_install" ] && [ -z "$STUB_BROKEN_APT" ]; then
         grep -v -E "^$word( |\$)" "$STUB_STATE/installed" > "$STUB_STATE/tmp" || true
         mv "$STUB_STATE/tmp" "$STUB_STATE/installed"; echo "$word" >> "$STUB_STATE/installed"
       fi ;;
  esac
done
""",
    "sudo": r"""#!/bin/sh
echo "sudo $*" >> "$STUB_STATE/log"
STUB_UID=0 exec "$@"
""",
    "id": r"""#!/bin/sh
if [ "$1" = "-u" ]; then echo "$STUB_UID"; else exec /usr/bin/id "$@"; fi
""",
}


def script_lists() -> tuple[list[str], list[str]]:
    """TEX_PACKAGES and PYTHON_PACKAGES as the script itself defines them (sourced, not parsed)."""
    run = subprocess.run(["bash", "-c", f'source "{SCRIPT}" && echo "$TEX_PACKAGES" && echo "$PYTHON_PACKAGES"'],
                         capture_output=True, text=True, check=True)
    tex, python = run.stdout.splitlines()
    return tex.split(), python.split()


@pytest.fixture
def fake_debian(tmp_path):
    bin_dir, state = tmp_path / "bin", tmp_path / "state"
    bin_dir.mkdir()
    state.mkdir()
    for name, body in STUBS.items():
        path = bin_dir / name
        path.write_text(body)
        path.chmod(path.stat().st_mode | stat.S_IEXEC)
    (state / "installed").write_text("")
    (state / "log").write_text("")

    def run(installed: list[str], uid: int = 0, broken_apt: bool = False) -> tuple[subprocess.CompletedProcess, list[str]]:
        (state / "installed").write_text("".join(f"{line}\n" for line in installed))
        (state / "log").write_text("")
        env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "STUB_STATE": str(state), "STUB_UID": str(uid),
               "STUB_BROKEN_APT": "1" if broken_apt else "", "HOME": str(tmp_path)}
        result = subprocess.run(["bash", "-c", f'source "{SCRIPT}" && install_system'], env=env,
                                capture_output=True, text=True, timeout=60)
        return result, (state / "log").read_text().splitlines()

    return run


def every_package() -> list[str]:
    tex, python = script_lists()
    return tex + python


def test_nothing_is_installed_when_every_package_is_there(fake_debian):
    result, log = fake_debian(every_package())
    assert result.returncode == 0, result.stderr
    assert log == []


def test_a_missing_package_is_installed_after_apt_get_update_with_depends_only(fake_debian):
    # The fresh-machine failure of issue 11: TeX is there, lmodern (a Recommends) is not.
    result, log = fake_debian([p for p in every_package() if p != "lmodern"])
    assert result.returncode == 0, result.stderr
    assert len(log) == 2, log
    assert log[0].startswith("apt-get update")
    install = log[1].split(" (uid")[0].split()
    assert install[:2] == ["apt-get", "install"]
    assert "--no-install-recommends" in install and "-y" in install
    assert [w for w in install[2:] if not w.startswith("-")] == ["lmodern"]
    assert "DEBIAN_FRONTEND=noninteractive" in log[1]


def test_a_second_run_installs_nothing(fake_debian, tmp_path):
    fake_debian([])
    installed = (tmp_path / "state" / "installed").read_text().split()
    assert sorted(installed) == sorted(every_package())
    result, log = fake_debian(installed)
    assert result.returncode == 0 and log == []


def test_a_package_removed_but_configured_counts_as_missing(fake_debian):
    others = [p for p in every_package() if p != "texlive-pictures"]
    result, log = fake_debian(others + ["texlive-pictures deinstall ok config-files"])
    assert result.returncode == 0, result.stderr
    assert log[-1].split(" (uid")[0].endswith("--no-install-recommends texlive-pictures")


def test_root_installs_without_sudo(fake_debian):
    result, log = fake_debian([], uid=0)
    assert result.returncode == 0, result.stderr
    assert not any(line.startswith("sudo") for line in log)
    assert all("(uid 0," in line for line in log)


def test_a_user_installs_through_sudo(fake_debian):
    result, log = fake_debian([], uid=1000)
    assert result.returncode == 0, result.stderr
    assert [line.split()[:2] for line in log if line.startswith("sudo")] == [["sudo", "apt-get"], ["sudo", "env"]]


def test_a_failed_install_is_reported_in_one_line(fake_debian):
    result, _ = fake_debian([], broken_apt=True)
    assert result.returncode == 1
    assert "still not installed: texlive-latex-base" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_script_runs_from_any_folder_and_rejects_an_unknown_command(tmp_path):
    result = subprocess.run(["bash", str(SCRIPT), "nonsense"], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr.strip() == "usage: bash scripts/setup.sh pdf|test"


def test_the_missing_tex_hint_names_every_tex_package_the_setup_installs():
    tex, _ = script_lists()
    hinted = set(tex_build.INSTALL_TEX.split())
    assert {p for p in tex if p != "poppler-utils"} <= hinted


def test_lmodern_and_tikz_are_named_in_the_setup():
    tex, _ = script_lists()
    assert {"lmodern", "texlive-pictures", "latexmk"} <= set(tex)
    assert "texlive-latex-extra" not in tex  # large; nothing the templates use needs it


def test_the_readme_keeps_exactly_two_setup_commands():
    readme = (ROOT / "README.md").read_text()
    commands = [line.strip() for line in readme.splitlines() if "scripts/setup.sh" in line and line.startswith("    ")]
    assert commands == ["bash scripts/setup.sh pdf", "bash scripts/setup.sh test"]
    assert os.access(SCRIPT, os.R_OK)
