"""Dialogs: each opened with open() (never a nested exec loop) and read through its accessors."""
