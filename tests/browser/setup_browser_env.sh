#!/usr/bin/env bash
# Install what the real-browser tests (pytest -m browser) need, on Debian 12 as root.
# Chromium comes from Debian itself; never run `playwright install` (it downloads a browser
# from a CDN). Usage: bash tests/browser/setup_browser_env.sh [python-executable]
set -euo pipefail
PY="${1:-python3}"
export DEBIAN_FRONTEND=noninteractive
if ! [ -x /usr/bin/chromium ]; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi
/usr/bin/chromium --version 2>/dev/null
"$PY" -m pip install -q \
  "anywidget>=0.9" ipywidgets jupyterlab voila \
  playwright pytest pytest-timeout psutil pillow nbformat numpy
"$PY" -c "import anywidget, playwright, voila; print('browser test deps ok')"
