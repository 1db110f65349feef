#!/usr/bin/env bash
# Set up everything the test suite needs on a fresh machine (only Python 3.11 present),
# then run the suite. Used by README and by .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null 2>&1 || ! command -v pdftotext >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = "0" ]; then
    echo "== installing chromium and poppler-utils (browser and PDF checks)"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium poppler-utils >/dev/null
  else
    echo "== chromium/poppler-utils unavailable: browser checks will be skipped"
  fi
fi

if [ ! -x .venv/bin/python ]; then
  echo "== creating .venv"
  python3 -m venv .venv
fi
echo "== installing hubcase with test extras"
.venv/bin/pip install -q --upgrade pip >/dev/null
.venv/bin/pip install -q -e '.[test]'

echo "== running tests"
exec .venv/bin/python -m pytest "$@"
