#!/usr/bin/env bash
# Build the installable artefacts: the PyInstaller one-folder bundle and, on Linux, a .deb.
#
#   packaging/build.sh [OUTDIR]        default OUTDIR: dist/
#
# Produces OUTDIR/monitor/ (the bundle), OUTDIR/monitor-VERSION-linux-x86_64.tar.gz and
# OUTDIR/monitor_VERSION_amd64.deb. Uses the project virtualenv (packaging/bootstrap.sh env).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$(realpath -m "${1:-$ROOT/dist}")
PY=${PY:-$ROOT/.venv/bin/python}
VERSION=$("$PY" -c 'import monitor; print(monitor.__version__)')
WORK=$(mktemp -d -t monitor-build.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

echo "[build] PyInstaller bundle (version $VERSION)"
"$PY" -m PyInstaller --noconfirm --clean --log-level WARN \
  --distpath "$OUT" --workpath "$WORK/pyi" "$ROOT/packaging/monitor.spec"
tar -C "$OUT" -czf "$OUT/monitor-$VERSION-linux-x86_64.tar.gz" monitor

if [ "$(uname -s)" = Linux ] && command -v dpkg-deb >/dev/null; then
  echo "[build] Debian package"
  "$ROOT/packaging/linux/make_deb.sh" "$OUT/monitor" "$VERSION" "$OUT"
fi
du -sh "$OUT/monitor" | sed 's/^/[build] bundle size: /'
