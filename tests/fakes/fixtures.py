"""Pytest fixtures for the provider tests: a running fake LLM server and stand-in OS
keyrings. Import the ones a module uses:

    from tests.fakes.fixtures import fake_llm, memory_keyring  # noqa: F401
"""

from __future__ import annotations

from collections.abc import Iterator

import keyring
import keyring.errors
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail

from tests.fakes.llm_server import FakeLLMServer


class MemoryKeyring(KeyringBackend):
    """A keyring backend that lives in a dict: tests never touch the developer's real one."""

    priority = 1  # type: ignore[assignment] - keyring declares it as a classproperty

    def __init__(self) -> None:
        super().__init__()
        self.passwords: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.passwords.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.passwords[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.passwords.pop((service, username), None) is None:
            raise keyring.errors.PasswordDeleteError("no such password")


@pytest.fixture
def fake_llm() -> Iterator[FakeLLMServer]:
    server = FakeLLMServer(seed=0).start()
    try:
        yield server
    finally:
        server.stop()


def _swap_keyring(backend: KeyringBackend) -> Iterator[KeyringBackend]:
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)


@pytest.fixture
def memory_keyring() -> Iterator[KeyringBackend]:
    yield from _swap_keyring(MemoryKeyring())


@pytest.fixture
def no_keyring() -> Iterator[KeyringBackend]:
    """What a headless Linux machine has: every keyring call raises NoKeyringError."""
    yield from _swap_keyring(fail.Keyring())
