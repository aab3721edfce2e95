"""The one place the version lives (pyproject reads it, About and --version show it)."""

__version__ = "0.1.0"
