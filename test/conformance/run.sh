#!/usr/bin/env bash
# `npm run conformance`: the official MCP conformance suite's client scenarios against Parley's
# real MCP client layer (test/conformance/client.ts: the bot's pool, sign-in provider and
# handlers, headless).
#
# The suite needs Node 22; it runs through `npx -y -p node@22 …`, so the machine's Node stays as it
# is — and the client itself runs on the machine's Node, the one Parley supports.
#
#   npm run conformance                  # every client scenario of the suite
#   npm run conformance -- sse-retry     # just these scenarios
#
# Scenarios listed in test/conformance/expected-failures.json ({"scenario": "reason"}) may
# fail; one that passes while listed fails the run, so the list never goes stale. The last line
# is the summary: `conformance: N passed, N failed, N expected failures`.
set -uo pipefail
cd "$(dirname "$0")/../.."

SUITE_PACKAGE="@modelcontextprotocol/conformance@0.1.x"

if [ -z "${PARLEY_CONFORMANCE_INNER:-}" ]; then
  PARLEY_NODE="$(command -v node)"
  export PARLEY_CONFORMANCE_INNER=1 PARLEY_NODE
  export npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false
  # Re-run this script with Node 22 and the suite on PATH (first run downloads both).
  npx -y -p node@22 -p "$SUITE_PACKAGE" -- bash "$0" "$@"
  status=$?
  if [ "$status" -ne 0 ] && [ "$status" -ne 1 ]; then
    echo "conformance: could not run the suite (npx exited with $status)"
  fi
  exit "$status"
fi

# Every client scenario the suite has (0.1.16: 26 — the core ones, the 2025-03-26 back-compat
# ones, the draft ones and the extensions), as its own `list --client` names them, so a scenario
# added to the suite is run rather than silently skipped.
mapfile -t ALL < <(conformance list --client 2>/dev/null | sed -n 's/^  - \([^ ]*\).*/\1/p')
if [ "${#ALL[@]}" -eq 0 ]; then
  echo "conformance: the suite listed no client scenarios"
  exit 2
fi
if [ "$#" -gt 0 ]; then scenarios=("$@"); else scenarios=("${ALL[@]}"); fi

expected_reason() {
  "$PARLEY_NODE" -e '
    const list = JSON.parse(require("fs").readFileSync("test/conformance/expected-failures.json", "utf8"));
    const reason = list[process.argv[1]];
    if (reason) process.stdout.write(String(reason));
  ' "$1"
}

echo "Conformance suite $(conformance --version 2>/dev/null || echo "$SUITE_PACKAGE") on $(node --version); client on $("$PARLEY_NODE" --version)"
client="$PARLEY_NODE --import tsx test/conformance/client.ts"
log_dir="$(mktemp -d)"
passed=0 failed=0 expected=0
failures=()
for scenario in "${scenarios[@]}"; do
  log="$log_dir/${scenario//\//_}.log"
  conformance client --command "$client" --scenario "$scenario" >"$log" 2>&1
  code=$?
  reason="$(expected_reason "$scenario")"
  if [ "$code" -eq 0 ] && [ -z "$reason" ]; then
    passed=$((passed + 1))
    echo "  ✓ $scenario"
  elif [ "$code" -ne 0 ] && [ -n "$reason" ]; then
    expected=$((expected + 1))
    echo "  ~ $scenario (expected failure: $reason)"
  else
    failed=$((failed + 1))
    failures+=("$scenario")
    if [ "$code" -eq 0 ]; then
      echo "  ✗ $scenario passes but is listed in test/conformance/expected-failures.json: remove it"
    else
      echo "  ✗ $scenario — the suite's output:"
      sed 's/^/      /' "$log"
    fi
  fi
done
rm -rf "$log_dir"
echo "conformance: ${passed} passed, ${failed} failed, ${expected} expected failures"
[ "$failed" -eq 0 ]
