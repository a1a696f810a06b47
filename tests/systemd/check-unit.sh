#!/usr/bin/env bash
# Checks the configured unit (the test copy, whose ExecStart= is the binary just built):
# `systemd-analyze verify` must print nothing and succeed, and
# `systemd-analyze security --offline=yes` must rate its exposure at 1.2 or lower.
# Exit 77 (skipped) only when systemd-analyze is missing.
set -euo pipefail

unit=${1:?usage: check-unit.sh PATH/chuhai.service}
max_exposure=1.2

if ! command -v systemd-analyze >/dev/null; then
    echo "SKIP: systemd-analyze is not installed (Debian package systemd)"
    exit 77
fi
[[ -f $unit ]] || { echo "FAIL: no unit at $unit"; exit 1; }
exec_start=$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$unit")
[[ -x $exec_start ]] || { echo "FAIL: ExecStart binary $exec_start is not built"; exit 1; }

status=0

echo "== systemd-analyze verify $unit"
if ! output=$(systemd-analyze verify "$unit" 2>&1); then
    echo "$output"
    echo "FAIL: systemd-analyze verify failed"
    status=1
elif [[ -n $output ]]; then
    echo "$output"
    echo "FAIL: systemd-analyze verify is not clean"
    status=1
else
    echo "clean"
fi

echo "== systemd-analyze security --offline=yes $unit"
report=$(systemd-analyze security --offline=yes --no-pager "$unit" 2>&1) || true
line=$(grep -E 'Overall exposure level for chuhai.service: [0-9.]+' <<<"$report" || true)
if [[ -z $line ]]; then
    echo "$report"
    echo "FAIL: no exposure level in the report"
    exit 1
fi
exposure=$(sed -E 's/.*: ([0-9.]+).*/\1/' <<<"$line")
grep -E '^✗' <<<"$report" || true
echo "exposure $exposure (at most $max_exposure)"
if ! awk -v e="$exposure" -v m="$max_exposure" 'BEGIN { exit !(e <= m) }'; then
    echo "FAIL: exposure $exposure is above $max_exposure"
    status=1
fi

# What the issue and docs promise, spelled out: a unit that loses one of these must fail here
# even if its score stayed low.
for setting in 'Type=notify' 'WatchdogSec=' 'ExecReload=/bin/kill -HUP $MAINPID' \
    'Restart=on-failure' 'DynamicUser=yes' 'StateDirectory=chuhai' 'ConfigurationDirectory=chuhai' \
    'LoadCredential=chuhai.smtp-password' 'LoadCredential=chuhai.webhook-secret' \
    'ProtectSystem=strict' 'ProtectHome=yes' 'PrivateTmp=yes' 'PrivateDevices=yes' \
    'NoNewPrivileges=yes' 'CapabilityBoundingSet=' 'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6' \
    'SystemCallFilter=@system-service' 'SystemCallArchitectures=native' \
    'MemoryDenyWriteExecute=yes' 'LockPersonality=yes' 'RestrictNamespaces=yes' \
    'RestrictRealtime=yes' 'ProtectKernelTunables=yes' 'ProtectKernelModules=yes' \
    'ProtectKernelLogs=yes' 'ProtectControlGroups=yes' 'ProtectClock=yes' 'ProtectHostname=yes' \
    'UMask=0077'; do
    if ! grep -qxF -- "$setting" "$unit" && ! grep -q -- "^${setting}[0-9]" "$unit"; then
        echo "FAIL: the unit lacks '$setting'"
        status=1
    fi
done

exit $status
