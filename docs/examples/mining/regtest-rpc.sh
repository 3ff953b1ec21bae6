#!/bin/sh
# One JSON-RPC call to the regtest node "soberana node start" runs (docs/mining.md, the walkthrough):
#   sh docs/examples/mining/regtest-rpc.sh METHOD 'JSON_PARAMS'
# with SOBERANA_RPC_URL and SOBERANA_RPC_PASSWORD set as the walkthrough sets them. Regtest only.
set -eu
curl -sS --fail-with-body --user "soberana:${SOBERANA_RPC_PASSWORD}" -H 'content-type: application/json' \
  --data "{\"jsonrpc\":\"1.0\",\"id\":\"docs\",\"method\":\"$1\",\"params\":${2:-[]}}" "${SOBERANA_RPC_URL}"
echo
