#!/usr/bin/env bash
# Checks the frozen build in dist/ (make package-test, which builds it first; CI runs
# it after make test):
#   1. layout: data files where resources/ and the migrations look for them, Qt trimmed;
#   2. `copydesk --version` prints the version in app/version.py;
#   3. demo + `generate --approved --wait --workers 2 --json` on the offline provider:
#      every article completed, i.e. spawned workers start inside the frozen app, and
#      no more copies of the executable run than main + workers + resource tracker;
#   4. the OpenAI and Anthropic SDKs inside the bundle, against tests/fakes' server;
#   5. the GUI offscreen for ~5 s, then SIGTERM: exit 0 within 10 s, no traceback;
#   6. the tarball: its contents, install.sh into a scratch HOME, --uninstall.
#
#   packaging/package_test.sh [PYTHON]   (PYTHON runs the fake LLM server; default .venv/bin/python)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PY=${1:-.venv/bin/python}
BUNDLE=$ROOT/dist/Copydesk
APP=$BUNDLE/copydesk
INTERNAL=$BUNDLE/_internal
VERSION=$("$PY" -c 'import runpy; print(runpy.run_path("app/version.py")["__version__"])')
TARBALL=$ROOT/dist/Copydesk-$VERSION-linux-$(uname -m).tar.gz
WORKERS=2

TMP=$(mktemp -d)
STARTED=$SECONDS
PIDS=()                  # background processes this script started
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  rm -rf "$TMP"
}
trap cleanup EXIT

step() { printf '\n== %s\n' "$*"; }
fail() { echo "package-test: FAIL: $*" >&2; exit 1; }
ok() { echo "   ok: $*"; }

# Copies of the bundle's executable now running (the app, its workers, multiprocessing helpers).
bundle_processes() {
  local dir count=0
  for dir in /proc/[0-9]*; do
    if [ "$(readlink "$dir/exe" 2>/dev/null)" = "$APP" ]; then
      count=$((count + 1))
    fi
  done
  echo "$count"
}

[ -x "$APP" ] || fail "$APP is missing: run make package first"

step "layout of $BUNDLE"
# The paths resources/__init__.py and engine/store/migrations/__init__.py compute:
# Path(__file__).resolve().parent, and a frozen module's __file__ is _internal/<package>/...
missing=0
while IFS= read -r file; do
  [ -f "$INTERNAL/$file" ] || { echo "   missing: _internal/$file"; missing=1; }
done < <(find resources -type f ! -path '*/__pycache__/*' ! -name '*.py' ! -name '*.pyc' | sort;
         find engine/store/migrations -maxdepth 2 -type f \( -name '*.py' -o -name '*.mako' \) \
           ! -name '__init__.py' | sort)
[ "$missing" = 0 ] || fail "data files missing from the bundle"
ok "every file under resources/ and every migration script is in _internal/"
[ -z "$(find "$INTERNAL/resources" "$INTERNAL/engine" -name __pycache__)" ] || fail "__pycache__ shipped"
for module in QtNetwork QtQml QtQuick QtSql QtTest QtOpenGL QtDBus QtSvg; do
  [ ! -e "$INTERNAL/PySide6/$module.abi3.so" ] || fail "PySide6.$module should be excluded"
done
[ ! -d "$INTERNAL/PySide6/Qt/translations" ] || fail "Qt translations should be excluded"
ok "only QtCore, QtGui, QtWidgets; no translations"
dangling=$(find "$BUNDLE" -xtype l)
[ -z "$dangling" ] || fail "dangling links: $dangling"
# Libraries that neither the bundle nor this machine provides: the user's system must.
unresolved=$(find "$INTERNAL" -name '*.so*' -type f -print0 \
  | xargs -0 -n 20 env LD_LIBRARY_PATH="$INTERNAL:$INTERNAL/PySide6/Qt/lib" ldd 2>/dev/null \
  | awk '/not found/ {print $1}' | sort -u | tr '\n' ' ')
if [ -n "$unresolved" ]; then
  echo "   note: not in the bundle nor on this build machine (the user's system must provide them): $unresolved"
fi
echo "   size: $(du -sh "$BUNDLE" | cut -f1)"

step "copydesk --version"
out=$("$APP" --version)
[ "$out" = "Copydesk $VERSION" ] || fail "--version printed '$out', expected 'Copydesk $VERSION'"
ok "$out"

step "demo, then generate --approved --wait --workers $WORKERS --json (offline provider, spawned workers)"
HOME_A=$TMP/home-offline
"$APP" --home "$HOME_A" demo
"$APP" --home "$HOME_A" generate --approved --wait --workers "$WORKERS" --json \
  > "$TMP/generate.json" 2> "$TMP/generate.err" &
generate=$!
PIDS+=("$generate")
most=0
while kill -0 "$generate" 2>/dev/null; do
  count=$(bundle_processes)
  [ "$count" -gt "$most" ] && most=$count
  # main + workers + resource tracker, with room for one recycled worker
  [ "$count" -le $((WORKERS + 3)) ] || { kill "$generate"; fail "$count copies of copydesk running: runaway spawning"; }
  sleep 0.2
done
status=0
wait "$generate" || status=$?
[ "$status" = 0 ] || { cat "$TMP/generate.err" >&2; fail "generate exited with $status"; }
"$PY" - "$TMP/generate.json" <<'EOF' || fail "not every article completed"
import json, sys
result = json.load(open(sys.argv[1]))
statuses = [article["status"] for article in result["articles"]]
print(f"   {len(statuses)} articles: {', '.join(sorted(set(statuses)))}")
sys.exit(0 if statuses and all(status == "completed" for status in statuses) else 1)
EOF
ok "every article completed; at most $most copies of the executable ran at once"
for _ in $(seq 1 50); do   # the resource tracker leaves when the app's end of its pipe closes
  left=$(bundle_processes)
  [ "$left" = 0 ] && break
  sleep 0.1
done
[ "$left" = 0 ] || fail "$left copies of copydesk still running after generate exited"
ok "no process left behind"

step "the SDKs inside the bundle, against the fake LLM server (tests/fakes)"
"$PY" -m tests.fakes.llm_server --port 0 > "$TMP/fake.out" 2>&1 &
PIDS+=("$!")
for _ in $(seq 1 100); do
  grep -q '^anthropic ' "$TMP/fake.out" 2>/dev/null && break
  sleep 0.1
done
grep -q '^anthropic ' "$TMP/fake.out" || { cat "$TMP/fake.out" >&2; fail "the fake LLM server did not start"; }
for provider in openai anthropic; do
  url=$(awk -v p="$provider" '$1 == p {print $2}' "$TMP/fake.out")
  home=$TMP/home-$provider
  "$APP" --home "$home" keywords add "Water rate increase" > /dev/null
  "$APP" --home "$home" keywords approve --all-pending > /dev/null
  COPYDESK_PROVIDER=$provider COPYDESK_BASE_URL=$url \
    "$APP" --home "$home" generate --approved --wait --workers 1 --json > "$TMP/$provider.json" \
    || fail "generate through $provider exited with $?"
  "$PY" - "$TMP/$provider.json" "$provider" <<'EOF' || fail "the $provider article did not complete"
import json, sys
articles = json.load(open(sys.argv[1]))["articles"]
good = [a for a in articles if a["status"] == "completed" and a["provider"] == sys.argv[2] and a["tokens_in"] > 0]
for a in articles:
    print(f"   {a['provider']} {a['model']}: {a['status']}, {a['tokens_in']} tokens in")
sys.exit(0 if articles and len(good) == len(articles) else 1)
EOF
done
ok "openai and anthropic SDKs work frozen"

step "GUI offscreen for 5 s, then SIGTERM"
HOME_G=$TMP/home-gui
QT_QPA_PLATFORM=offscreen "$APP" --home "$HOME_G" > "$TMP/gui.out" 2> "$TMP/gui.err" &
gui=$!
PIDS+=("$gui")
sleep 5
kill -0 "$gui" 2>/dev/null || { cat "$TMP/gui.err" >&2; fail "the GUI exited on its own within 5 s"; }
kill -TERM "$gui"
waited=0
while kill -0 "$gui" 2>/dev/null && [ "$waited" -lt 100 ]; do
  sleep 0.1
  waited=$((waited + 1))
done
if kill -0 "$gui" 2>/dev/null; then
  kill -KILL "$gui"
  fail "the GUI was still running 10 s after SIGTERM"
fi
status=0
wait "$gui" || status=$?
if grep -q Traceback "$TMP/gui.err"; then
  cat "$TMP/gui.err" >&2
  fail "traceback on the GUI's stderr"
fi
[ "$status" = 0 ] || { cat "$TMP/gui.err" >&2; fail "the GUI exited with status $status after SIGTERM (expected 0; 143 means SIGTERM was not handled)"; }
ok "exited 0, $((waited * 100)) ms after SIGTERM, no traceback"

step "tarball and install.sh"
[ -f "$TARBALL" ] || fail "$TARBALL is missing"
mkdir "$TMP/unpacked"
tar -C "$TMP/unpacked" -xzf "$TARBALL"
PACKAGE=$TMP/unpacked/$(basename "$TARBALL" .tar.gz)
for file in Copydesk/copydesk copydesk.desktop install.sh icons/hicolor/scalable/apps/copydesk.svg \
            icons/hicolor/{16x16,32x32,48x48,64x64,128x128,256x256,512x512}/apps/copydesk.png; do
  [ -e "$PACKAGE/$file" ] || fail "$file missing from $(basename "$TARBALL")"
done
ok "$(basename "$TARBALL") ($(du -h "$TARBALL" | cut -f1)): the folder, copydesk.desktop, install.sh, 7 PNG sizes + SVG"
FAKE_HOME=$TMP/user
mkdir -p "$FAKE_HOME"
HOME=$FAKE_HOME XDG_DATA_HOME='' "$PACKAGE/install.sh" > /dev/null
out=$(HOME=$FAKE_HOME "$FAKE_HOME/.local/bin/copydesk" --version)
[ "$out" = "Copydesk $VERSION" ] || fail "the installed copydesk printed '$out'"
desktop=$FAKE_HOME/.local/share/applications/copydesk.desktop
grep -q "^Exec=$FAKE_HOME/.local/lib/copydesk/copydesk$" "$desktop" || fail "Exec= not rewritten in $desktop"
[ -f "$FAKE_HOME/.local/share/icons/hicolor/256x256/apps/copydesk.png" ] || fail "icons not installed"
if command -v desktop-file-validate > /dev/null; then
  desktop-file-validate "$ROOT/packaging/linux/copydesk.desktop" || fail "copydesk.desktop is not valid"
  desktop-file-validate "$desktop" || fail "the installed copydesk.desktop is not valid"
  ok "copydesk.desktop valid (desktop-file-validate)"
else
  echo "   note: desktop-file-validate not installed (apt-get install desktop-file-utils); .desktop not validated"
fi
HOME=$FAKE_HOME XDG_DATA_HOME='' "$PACKAGE/install.sh" --uninstall > /dev/null
for left in "$FAKE_HOME/.local/lib/copydesk" "$FAKE_HOME/.local/bin/copydesk" "$desktop"; do
  [ ! -e "$left" ] || fail "install.sh --uninstall left $left behind"
done
ok "install.sh installs into ~/.local, the installed copy runs, --uninstall removes it"

step "nothing written into the bundle"
written=$(find "$INTERNAL/engine" "$INTERNAL/resources" -name __pycache__)
[ -z "$written" ] || fail "the runs wrote into the bundle: $written"
ok "no __pycache__ next to the migrations or resources after the runs"

echo
echo "package-test: all checks passed in $((SECONDS - STARTED)) s"
