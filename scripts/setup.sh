#!/usr/bin/env bash
# Set up everything derive needs on a fresh Debian machine, then build the PDF or run the tests.
#   bash scripts/setup.sh pdf    # → output/hw7.pdf
#   bash scripts/setup.sh test   # → the whole test suite
# Idempotent: each Debian package is looked up with dpkg-query and only the missing ones are
# installed; the virtual environment is reused.
set -euo pipefail

# The Debian packages TeX reads from, installed by their Depends alone (--no-install-recommends),
# so every file TeX opens must come from this list or what it Depends on. tests/test_tex_closure.py
# compiles the real document and a probe of every LaTeX package the templates may use with
# -recorder and checks the owner (dpkg -S) of every file read against the Depends closure of
# exactly this line. Why each is named:
#   texlive-latex-base         LaTeX, article, geometry, hyperref, longtable, array, graphicx
#   texlive-latex-recommended  listings, booktabs, xcolor, mathtools, caption, microtype
#   texlive-fonts-recommended  the standard PostScript fonts (Times, Helvetica, Courier)
#   texlive-pictures           TikZ and pgfplots, for the figures
#   lmodern                    lmodern.sty and its T1 Type 1 fonts ("Łukasz Dvořák"); only a
#                              Recommends of the TeX packages, so it must be named
#   latexmk                    runs pdflatex as often as needed
#   poppler-utils              pdftotext, which the tests use to read the PDF
TEX_PACKAGES="texlive-latex-base texlive-latex-recommended texlive-fonts-recommended texlive-pictures lmodern latexmk poppler-utils"
# `python3 -m venv` fails on Debian without python3-venv (no ensurepip).
PYTHON_PACKAGES="python3 python3-venv"
VENV=.venv

as_root() {
  if [ "$(id -u)" = 0 ]; then
    "$@"
  elif command -v sudo >/dev/null; then
    sudo "$@"
  else
    echo "setup: installing Debian packages needs root; run this script as root or install sudo" >&2
    exit 1
  fi
}

# Packages of "$@" that are not fully installed; a removed package whose configuration files
# remain ("deinstall ok config-files") counts as missing, which a check for a binary would miss.
missing_packages() {
  local package status
  for package in "$@"; do
    status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
    if [ "$status" != "install ok installed" ]; then
      echo "$package"
    fi
  done
}

install_packages() {
  if ! command -v dpkg-query >/dev/null || ! command -v apt-get >/dev/null; then
    echo "setup: needs Debian's dpkg-query and apt-get; install these packages by hand: $*" >&2
    exit 1
  fi
  local missing
  missing=$(missing_packages "$@")
  if [ -z "$missing" ]; then
    return
  fi
  # shellcheck disable=SC2086  # one package name per word
  echo "setup: installing through apt-get:" $missing >&2
  # A fresh machine has no (or stale) package lists: without the update the install fails.
  as_root apt-get update -qq
  # shellcheck disable=SC2086
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
  missing=$(missing_packages "$@")
  if [ -n "$missing" ]; then
    # shellcheck disable=SC2086
    echo "setup: apt-get finished but these packages are still not installed:" $missing >&2
    exit 1
  fi
}

install_system() {
  # shellcheck disable=SC2086
  install_packages $TEX_PACKAGES $PYTHON_PACKAGES
}

install_python() {
  if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
  fi
  # torch is pinned exactly in the extras: a range would pull a multi-GB CUDA build.
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check -e ".[$1]"
}

main() {
  cd "$(dirname "${BASH_SOURCE[0]}")/.."
  case "${1:-}" in
    pdf)
      install_system
      install_python torch
      "$VENV/bin/derive" build
      ;;
    test)
      install_system
      install_python "torch,test"
      "$VENV/bin/python" -m pytest -q
      ;;
    *)
      echo "usage: bash scripts/setup.sh pdf|test" >&2
      exit 2
      ;;
  esac
}

# Sourcing the script (as the tests do) defines the functions and the package lists only.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  main "$@"
fi
