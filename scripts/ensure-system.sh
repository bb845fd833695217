#!/usr/bin/env bash
# Install the Debian packages the tests need, only where they are missing.
set -euo pipefail
need=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
command -v runuser >/dev/null 2>&1 || need+=(util-linux)
[ -x /usr/bin/chromium ] || need+=(chromium)  # browser tests (playwright cannot download one)
command -v pdftotext >/dev/null 2>&1 || need+=(poppler-utils)  # PDF reports read back as text and image
ldconfig -p | grep -q libharfbuzz-subset || need+=(libharfbuzz-subset0)  # weasyprint embeds font subsets
fc-list 2>/dev/null | grep -q DejaVu || need+=(fonts-dejavu-core)  # Cyrillic glyphs in PDF reports
ldconfig -p | grep -q libpango-1.0 || need+=(libpango-1.0-0 libpangoft2-1.0-0)  # weasyprint lays out text
# Spark local mode (the distributed-engine tests) needs Java 17 or later: Debian's default JRE is
# 17 on bookworm, 21 on trixie; Spark 4.0 runs on both
java -version 2>&1 | grep -qE 'version "(1[7-9]|[2-9][0-9])' || need+=(default-jre-headless)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "missing system packages: ${need[*]} (install them, or run make test as root)" >&2; exit 1
  fi
  echo "installing system packages: ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
  useradd --system --home /var/lib/postgresql --shell /bin/bash postgres
fi
