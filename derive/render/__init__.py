"""SymPy → LaTeX printing, escaping of plain text, and the Jinja2 environment."""
