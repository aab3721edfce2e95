"""Data files shipped with Copydesk: prompts, pricing, word lists, demo data, icons."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent


def resource_path(*parts: str) -> Path:
    """Path of a shipped resource file (works from a checkout, a wheel and a frozen bundle)."""
    return ROOT.joinpath(*parts)
