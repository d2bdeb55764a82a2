#!/bin/sh
# One-shot: wait for Temporal, then register OpenXP's custom search attributes (idempotent).
set -eu
ADDR="${TEMPORAL_ADDRESS:-temporal:7233}"
NS="${TEMPORAL_NAMESPACE:-default}"

echo "waiting for Temporal at $ADDR (namespace $NS)..."
i=0
until temporal operator namespace describe --address "$ADDR" --namespace "$NS" >/dev/null 2>&1; do
  i=$((i + 1))
  if [ "$i" -ge 90 ]; then echo "Temporal not ready after 180s" >&2; exit 1; fi
  sleep 2
done

existing="$(temporal operator search-attribute list --address "$ADDR" --namespace "$NS" 2>/dev/null || true)"
for name in OpenXPSandbox OpenXPKind OpenXPFlowId OpenXPSegmentId OpenXPDestinationId OpenXPDatasetId; do
  if printf '%s\n' "$existing" | grep -qw "$name"; then
    echo "search attribute $name already registered"
  else
    echo "registering search attribute $name (Keyword)"
    temporal operator search-attribute create --address "$ADDR" --namespace "$NS" --name "$name" --type Keyword
  fi
done
echo "search attributes ready"
