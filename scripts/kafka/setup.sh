#!/usr/bin/env bash
# Prepares a machine to run the project's Kafka broker and interop tests. Idempotent; later runs are offline.
#
#   scripts/kafka/setup.sh            # jars + kcat
#   scripts/kafka/setup.sh jars       # only the broker's classpath
#   scripts/kafka/setup.sh kcat       # only kcat
#
# Jars: the broker's runtime classpath (pom.xml beside this script) is copied from Maven Central into
# .cache/kafka/libs (git-ignored). The first run downloads into ~/.m2; a stamp holding the pom's checksum skips
# Maven entirely while the pom is unchanged.
# kcat: the Debian package, used by the interop tests; installed with apt-get when missing (as root, or with sudo
# when it needs no password). A machine without it still runs every other test: the interop test says why it
# cannot run.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cache="${SWITCHBOARD_KAFKA_CACHE:-$root/.cache/kafka}"
libs="$cache/libs"

fetch_jars() {
  local sum
  sum="$(sha256sum "$here/pom.xml" | cut -d' ' -f1)"
  if [[ -f "$libs/.stamp" && "$(cat "$libs/.stamp")" == "$sum" ]] && compgen -G "$libs/kafka_2.13-*.jar" >/dev/null; then
    return 0
  fi
  command -v mvn >/dev/null || { echo "scripts/kafka/setup.sh: Maven (mvn) is needed to fetch the Kafka jars" >&2; return 1; }
  echo "scripts/kafka/setup.sh: fetching the Kafka broker jars with Maven into $libs" >&2
  rm -rf "$libs.tmp"
  mvn -B -q -f "$here/pom.xml" org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$libs.tmp" >&2
  rm -rf "$libs"
  mv "$libs.tmp" "$libs"
  echo "$sum" >"$libs/.stamp"
}

install_kcat() {
  if command -v kcat >/dev/null || command -v kafkacat >/dev/null; then return 0; fi
  local run=()
  if [[ "$(id -u)" != 0 ]]; then
    if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then run=(sudo -n); else
      echo "scripts/kafka/setup.sh: kcat is missing and apt-get needs root; install the 'kcat' package" >&2
      return 0
    fi
  fi
  echo "scripts/kafka/setup.sh: installing kcat with apt-get" >&2
  if ! "${run[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq kcat >/dev/null 2>&1; then
    "${run[@]}" apt-get update -qq >/dev/null 2>&1 || true
    "${run[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq kcat >/dev/null 2>&1 ||
      echo "scripts/kafka/setup.sh: could not install kcat; the interop test will report it" >&2
  fi
}

case "${1:-all}" in
  jars) fetch_jars ;;
  kcat) install_kcat ;;
  all) fetch_jars; install_kcat ;;
  *) echo "usage: $0 [all|jars|kcat]" >&2; exit 2 ;;
esac
