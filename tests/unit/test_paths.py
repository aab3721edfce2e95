from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from app.paths import DataHome, resolve_home


def test_cli_home_beats_environment_beats_platform(tmp_path: Path) -> None:
    assert resolve_home(tmp_path / "a", {"COPYDESK_HOME": str(tmp_path / "b")}).root == tmp_path / "a"
    assert resolve_home(None, {"COPYDESK_HOME": str(tmp_path / "b")}).root == tmp_path / "b"
    assert "Copydesk" in str(resolve_home(None, {}).root)


def test_everything_lives_under_one_home(tmp_path: Path) -> None:
    home = DataHome(tmp_path)
    assert home.database_path.parent == home.logs_dir.parent == home.exports_dir.parent == tmp_path
    assert home.database_url({}) == f"sqlite:///{tmp_path / 'copydesk.db'}"
    assert home.database_url({"COPYDESK_DATABASE_URL": "postgresql://x/y"}) == "postgresql://x/y"


def test_importing_creates_nothing(tmp_path: Path) -> None:
    code = "import app.paths, app.cli, engine.store.db, engine.keywords"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parents[2],
                   env={"COPYDESK_HOME": str(tmp_path / "home"), "PATH": "/usr/bin"})
    assert not (tmp_path / "home").exists()


def test_engine_imports_no_qt_app_or_ui() -> None:
    code = ("import sys, engine.store.db, engine.keywords, engine.demo, engine.source_material\n"
            "import pkgutil, importlib, engine\n"
            "for m in pkgutil.walk_packages(engine.__path__, 'engine.'):\n"
            "    if '.migrations.versions' not in m.name and not m.name.endswith('migrations.env'):\n"
            "        importlib.import_module(m.name)\n"
            "bad = sorted(n for n in sys.modules if n.split('.')[0] in ('PySide6', 'qasync', 'app', 'ui'))\n"
            "print(','.join(bad))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                            cwd=Path(__file__).parents[2])
    assert result.stdout.strip() == ""
