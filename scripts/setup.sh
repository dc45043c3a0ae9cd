#!/usr/bin/env bash
# Set up everything derive needs on a fresh Debian machine, then build the PDF or run the tests.
#   bash scripts/setup.sh pdf    # → output/hw7.pdf
#   bash scripts/setup.sh test   # → the whole test suite
# Idempotent: what is already there is not installed again.
set -euo pipefail
cd "$(dirname "$0")/.."

TEX_PACKAGES="texlive-latex-base texlive-latex-recommended texlive-fonts-recommended latexmk poppler-utils"
VENV=.venv

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

install_tex() {
  if command -v latexmk >/dev/null && command -v pdflatex >/dev/null && command -v pdftotext >/dev/null; then
    return
  fi
  echo "setup: installing TeX Live through apt-get ($TEX_PACKAGES)" >&2
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends $TEX_PACKAGES >/dev/null
}

install_python() {
  if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
  fi
  # torch is pinned exactly in the extras: a range would pull a multi-GB CUDA build.
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check -e ".[$1]"
}

case "${1:-}" in
  pdf)
    install_tex
    install_python torch
    "$VENV/bin/derive" build
    ;;
  test)
    install_tex
    install_python "torch,test"
    "$VENV/bin/python" -m pytest -q
    ;;
  *)
    echo "usage: bash scripts/setup.sh pdf|test" >&2
    exit 2
    ;;
esac
