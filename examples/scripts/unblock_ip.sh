#!/bin/sh
# PanicMode unblock script: unblock_ip.sh <IP or CIDR>
#
# Idempotent: lifting a ban that is not there succeeds, so an expiry that races a
# manual unblock never fails. Mirrors block_ip.sh (nftables table
# `inet panicmode_script`, else iptables/ip6tables).
set -eu

ip="${1:-}"
case "$ip" in
  ''|-*|*[!0-9A-Fa-f.:/]*) echo "usage: $0 <IP or CIDR>" >&2; exit 2 ;;
esac
case "$ip" in
  *:*) fam=6 ;;
  *) fam=4 ;;
esac

if [ -z "${PANICMODE_USE_IPTABLES:-}" ] && command -v nft >/dev/null 2>&1; then
  table=panicmode_script
  if nft list set inet $table "v$fam" >/dev/null 2>&1; then
    nft delete element inet $table "v$fam" "{ $ip }" 2>/dev/null || true
  fi
else
  if [ "$fam" = 6 ]; then ipt=ip6tables; else ipt=iptables; fi
  # Delete every copy (a rule inserted twice by an older script).
  while $ipt -w -C INPUT -s "$ip" -j DROP 2>/dev/null; do
    $ipt -w -D INPUT -s "$ip" -j DROP
  done
fi
