#!/usr/bin/env bash
# System packages some tests need (network namespaces, firewall rules, curl, syslog-ng). Root only; skipped otherwise.
set -euo pipefail
need=()
command -v curl >/dev/null 2>&1 || need+=(curl)
command -v ip >/dev/null 2>&1 || need+=(iproute2)
command -v iptables >/dev/null 2>&1 || need+=(iptables)
# syslog-ng with its http() destination: tests/socket/clients-syslog-ng.test.ts (a real client of the emulator)
command -v syslog-ng >/dev/null 2>&1 || need+=(syslog-ng-core)
ls /usr/lib/syslog-ng/*/libhttp.so >/dev/null 2>&1 || need+=(syslog-ng-mod-http)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "ci-setup: missing ${need[*]} and not root; tests that need them will skip" >&2
  fi
fi
