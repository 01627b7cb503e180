#!/usr/bin/env bash
# Make sure the system packages gisgrid needs are here: PostgreSQL 15 + PostGIS 3 (for
# the embedded database), Chromium and a CJK font (map tests), Node.js + npm (map page assets).
# As root on Debian/Ubuntu they are installed with apt-get; elsewhere the exact command
# is printed and the script fails.
set -euo pipefail

need=()
# With GISGRID_DATABASE_URL set, PostGIS lives elsewhere; the server binaries are optional.
if [ -z "${GISGRID_DATABASE_URL:-}" ]; then
  [ -x /usr/lib/postgresql/15/bin/initdb ] || need+=(postgresql-15)
  [ -f /usr/share/postgresql/15/extension/postgis.control ] || need+=(postgresql-15-postgis-3)
fi
if [ "${GISGRID_NEED_CHROMIUM:-1}" = 1 ]; then
  [ -x /usr/bin/chromium ] || need+=(chromium)
  # Without a CJK font, Chinese labels render as boxes in screenshots.
  { command -v fc-list >/dev/null && fc-list :lang=zh | grep -q .; } || need+=(fonts-wqy-microhei)
fi
command -v npm >/dev/null 2>&1 || need+=(nodejs npm)

if [ ${#need[@]} -eq 0 ]; then
  echo "system packages: all present"
  exit 0
fi

cmd="apt-get update && apt-get install -y --no-install-recommends ${need[*]}"
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "system packages: installing ${need[*]} (this takes a minute or two)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  echo "system packages: installed ${need[*]}"
else
  echo "gisgrid needs these system packages: ${need[*]}" >&2
  echo "install them with:  sudo sh -c '$cmd'" >&2
  echo "(or set GISGRID_DATABASE_URL to an existing PostGIS)" >&2
  exit 1
fi
