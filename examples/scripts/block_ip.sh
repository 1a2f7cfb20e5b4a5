#!/bin/sh
# PanicMode block script: block_ip.sh <IP or CIDR>
#
# Idempotent: PanicMode re-runs it for every live ban at start (restore_on_startup),
# so it checks before it inserts and running it twice leaves one rule.
# Uses nftables when `nft` is present (its own table `inet panicmode_script`, never
# the rest of the ruleset), else iptables/ip6tables.
set -eu

ip="${1:-}"
# PanicMode passes a validated canonical address; check anyway, for manual use.
case "$ip" in
  ''|-*|*[!0-9A-Fa-f.:/]*) echo "usage: $0 <IP or CIDR>" >&2; exit 2 ;;
esac
case "$ip" in
  *:*) fam=6 ;;
  *) fam=4 ;;
esac

if [ -z "${PANICMODE_USE_IPTABLES:-}" ] && command -v nft >/dev/null 2>&1; then
  table=panicmode_script
  # `add` is idempotent for tables, sets and chains; the rules are added only once.
  nft -f - <<NFT
add table inet $table
add set inet $table v4 { type ipv4_addr; flags interval; }
add set inet $table v6 { type ipv6_addr; flags interval; }
add chain inet $table input { type filter hook input priority filter - 10; policy accept; }
NFT
  if ! nft list chain inet $table input | grep -q '@v4'; then
    nft add rule inet $table input ip saddr @v4 drop
    nft add rule inet $table input ip6 saddr @v6 drop
  fi
  # Adding an element already there is not an error.
  nft add element inet $table "v$fam" "{ $ip }"
else
  if [ "$fam" = 6 ]; then ipt=ip6tables; else ipt=iptables; fi
  $ipt -w -C INPUT -s "$ip" -j DROP 2>/dev/null || $ipt -w -I INPUT -s "$ip" -j DROP
fi
