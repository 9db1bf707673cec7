#!/usr/bin/env bash
# Installs the Python reference library into .venv-ref: the oracle of the interop tests and
# benchmarks, never a dependency of the package. The s3 extra (s3fs) lets it open the datasets
# of the S3 tests.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv-ref/bin/python ] || python3 -m venv .venv-ref
.venv-ref/bin/pip install -q --disable-pip-version-check \
  wkw==1.1.24 'webknossos[s3]==4.3.3' numpy scipy pillow
.venv-ref/bin/python -c "import wkw, webknossos, scipy" 2>/dev/null
