#!/usr/bin/env bash
# macOS only (not buildable on the Linux CI machines): wrap dist/Monitor.app into a .dmg.
#   pyinstaller --noconfirm --clean packaging/monitor.spec && packaging/macos/make_dmg.sh
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
VERSION=$("$ROOT/.venv/bin/python" -c 'import monitor; print(monitor.__version__)')
STAGE=$(mktemp -d)
cp -R "$ROOT/dist/Monitor.app" "$STAGE/"
ln -s /Applications "$STAGE/Applications"
hdiutil create -volname Monitor -srcfolder "$STAGE" -ov -format UDZO "$ROOT/dist/Monitor-$VERSION.dmg"
rm -rf "$STAGE"
