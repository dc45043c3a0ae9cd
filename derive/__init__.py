"""derive: machine-checked derivations, typeset to PDF."""

__version__ = "0.1.0"
