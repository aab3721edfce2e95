#!/usr/bin/env bash
# Build the desktop app: dist/Copydesk/ (PyInstaller, one folder; dist/Copydesk.app
# too on macOS) and, on Linux, the release archive
#   dist/Copydesk-<version>-linux-<arch>.tar.gz
# holding the folder, the .desktop file, the icons and install.sh.
#
#   packaging/build.sh [PYTHON]    (what `make package` runs)
#
# PYTHON: an interpreter with Copydesk and PyInstaller installed (default .venv/bin/python).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${1:-.venv/bin/python}

VERSION=$("$PY" -c 'import runpy; print(runpy.run_path("app/version.py")["__version__"])')
"$PY" -m PyInstaller --noconfirm --log-level WARN --distpath dist --workpath build/pyinstaller \
  packaging/copydesk.spec

if [ "$(uname -s)" != Linux ]; then
  exit 0
fi
NAME=Copydesk-$VERSION-linux-$(uname -m)
STAGE=build/tarball/$NAME
rm -rf build/tarball
mkdir -p "$STAGE/icons"
# Hard links where the file system allows: the folder is ~150 MB.
cp -al dist/Copydesk "$STAGE/Copydesk" 2>/dev/null || cp -a dist/Copydesk "$STAGE/Copydesk"
cp -a build/icons/hicolor "$STAGE/icons/hicolor"
install -m 644 packaging/linux/copydesk.desktop "$STAGE/copydesk.desktop"
install -m 755 packaging/linux/install.sh "$STAGE/install.sh"
rm -f "dist/$NAME.tar.gz"
tar -C build/tarball --owner=0 --group=0 --numeric-owner --sort=name -czf "dist/$NAME.tar.gz" "$NAME"
rm -rf build/tarball
echo "build.sh: dist/Copydesk ($(du -sh dist/Copydesk | cut -f1)), dist/$NAME.tar.gz ($(du -h "dist/$NAME.tar.gz" | cut -f1))"
