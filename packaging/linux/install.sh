#!/usr/bin/env bash
# Install Copydesk for the current user, no root needed:
#
#   ./install.sh               install, or upgrade an earlier install
#   ./install.sh --uninstall   remove the program again
#
# Puts the program in ~/.local/lib/copydesk, a `copydesk` link in ~/.local/bin,
# the menu entry in ~/.local/share/applications and the icons in
# ~/.local/share/icons/hicolor. PREFIX (default ~/.local) and XDG_DATA_HOME move
# them. Your newsroom data (database, logs, exports) lives elsewhere, in the user
# data folder, and is never touched by this script.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
PREFIX=${PREFIX:-$HOME/.local}
DATA=${XDG_DATA_HOME:-$HOME/.local/share}
APP_DIR=$PREFIX/lib/copydesk
BIN=$PREFIX/bin/copydesk
DESKTOP=$DATA/applications/copydesk.desktop
ICONS=$DATA/icons/hicolor

refresh_caches() {
  # Optional helpers: menus pick the entry up without them, only later.
  if command -v update-desktop-database >/dev/null 2>&1; then
    update-desktop-database -q "$DATA/applications" 2>/dev/null || true
  fi
  if command -v gtk-update-icon-cache >/dev/null 2>&1 && [ -f "$ICONS/index.theme" ]; then
    gtk-update-icon-cache -q -t "$ICONS" 2>/dev/null || true
  fi
}

uninstall() {
  rm -rf "$APP_DIR"
  # Remove the link only if it is ours.
  if [ -L "$BIN" ] && [ "$(readlink "$BIN")" = "$APP_DIR/copydesk" ]; then
    rm -f "$BIN"
  fi
  rm -f "$DESKTOP"
  rm -f "$ICONS"/*/apps/copydesk.png "$ICONS"/scalable/apps/copydesk.svg
  refresh_caches
  echo "Copydesk removed. Your data folder was left as it was."
}

install() {
  [ -x "$HERE/Copydesk/copydesk" ] || { echo "install.sh: $HERE/Copydesk/copydesk is missing" >&2; exit 1; }
  mkdir -p "$PREFIX/lib" "$PREFIX/bin" "$DATA/applications"
  # Copy next to the old version, then swap: an interrupted upgrade leaves the old one working.
  rm -rf "$APP_DIR.new"
  cp -a "$HERE/Copydesk" "$APP_DIR.new"
  rm -rf "$APP_DIR"
  mv "$APP_DIR.new" "$APP_DIR"
  ln -sfn "$APP_DIR/copydesk" "$BIN"
  # Menus do not always search ~/.local/bin: point the entry at the program itself.
  sed -e "s|^Exec=copydesk|Exec=$APP_DIR/copydesk|" -e "s|^TryExec=copydesk|TryExec=$APP_DIR/copydesk|" \
    "$HERE/copydesk.desktop" > "$DESKTOP"
  chmod 644 "$DESKTOP"
  (cd "$HERE/icons/hicolor" && find . -name 'copydesk.*' -type f) | while read -r icon; do
    mkdir -p "$ICONS/$(dirname "$icon")"
    cp "$HERE/icons/hicolor/$icon" "$ICONS/$icon"
  done
  refresh_caches
  echo "Copydesk installed in $APP_DIR."
  case ":$PATH:" in
    *":$PREFIX/bin:"*) echo "Start it from your applications menu or with: copydesk" ;;
    *) echo "Start it from your applications menu or with: $BIN ($PREFIX/bin is not on your PATH)" ;;
  esac
}

case "${1:-}" in
  "") install ;;
  --uninstall) uninstall ;;
  -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//' ;;
  *) echo "install.sh: unknown option $1 (try --help)" >&2; exit 2 ;;
esac
