#!/usr/bin/env bash
# The README's platform walkthrough, run for real: a demo server on a fresh
# database, then what a person does with curl — sign in as the demo admin, sign
# in as a consumer, find a point nearby, order, cut off the wave, and download the
# purchase order and delivery sheet PDFs. Each PDF is turned into PNG with
# pdftoppm and its text is checked for the ordered product.
#
#   scripts/api-walkthrough.sh PATH/TO/linli-sync-server [OUT_DIR]
set -euo pipefail

server=${1:?usage: api-walkthrough.sh SERVER [OUT_DIR]}
out=${2:-artifacts/walkthrough}
listen=${LINLI_WALKTHROUGH_LISTEN:-127.0.0.1:8097}
base="http://$listen"
mkdir -p "$out"
rm -f "$out"/*.pdf "$out"/*.png "$out"/server.sqlite3*

"$server" demo --listen "$listen" --db "$out/server.sqlite3" >"$out/server.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true' EXIT
for _ in $(seq 300); do
  curl -fsS "$base/healthz" >/dev/null 2>&1 && break
  kill -0 $pid 2>/dev/null || { echo "walkthrough: server did not start:" >&2; cat "$out/server.log" >&2; exit 1; }
  sleep 0.1
done

fail() { echo "walkthrough: $*" >&2; exit 1; }
# curl that fails on an HTTP error and shows the server's JSON error body.
call() {
  local body status
  body=$(curl -sS -w '\n%{http_code}' "$@") || fail "curl $* failed"
  status=${body##*$'\n'}
  body=${body%$'\n'*}
  [[ $status == 2* ]] || fail "HTTP $status from $*: $body"
  printf '%s' "$body"
}

# The demo admin's password is shown once, in the server's log.
password=$(sed -n 's/.*password=\([^ ]*\).*/\1/p' "$out/server.log" | head -1)
[ -n "$password" ] || fail "no admin password in the server log"

# 1. The OpenAPI page and document.
docs=$(call "$base/docs/")
grep -q swagger-ui <<<"$docs" || fail "/docs/ is not the Swagger UI"
paths=$(call "$base/openapi.json" | jq '.paths | length')
echo "walkthrough: OpenAPI document with $paths paths; browsable at $base/docs/"

# 2. Staff sign-in.
admin=$(call -X POST "$base/api/platform/login" -H 'content-type: application/json' \
  -d "{\"username\":\"admin\",\"password\":\"$password\"}" | jq -r .token)

# 3. A consumer signs in, finds the points near one of the demo points, and orders.
consumer=$(call -X POST "$base/api/consumer/session" -H 'content-type: application/json' \
  -d '{"phone":"13800138000","name":"陈女士"}' | jq -r .token)
read -r lat lng < <(call "$base/api/platform/points?status=approved" -H "authorization: Bearer $admin" |
  jq -r '.items[0] | "\(.lat) \(.lng)"')
point=$(call "$base/api/consumer/pickup-points?lat=$lat&lng=$lng" -H "authorization: Bearer $consumer" |
  jq -r '.[0].id')
read -r sku name < <(call "$base/api/consumer/catalog" -H "authorization: Bearer $consumer" |
  jq -r '[.[] | select(.stock_left > 0)][0] | "\(.sku) \(.name)"')
order=$(call -X POST "$base/api/consumer/orders" -H "authorization: Bearer $consumer" \
  -H 'content-type: application/json' -H "idempotency-key: walkthrough-1" \
  -d "{\"point\":\"$point\",\"lines\":[{\"sku\":\"$sku\",\"qty\":2}]}")
day=$(jq -r .day <<<"$order")
echo "walkthrough: order $(jq -r .number <<<"$order") for $day, code $(jq -r .code <<<"$order"), 2 × $name"

# 4. Cutoff of that delivery day in the point's region, on demand.
region=$(call "$base/api/platform/points/$point" -H "authorization: Bearer $admin" | jq -r .region)
summary=$(call -X POST "$base/api/platform/regions/$region/cutoff" -H "authorization: Bearer $admin" \
  -H 'content-type: application/json' -d "{\"day\":\"$day\"}")
echo "walkthrough: cutoff $(jq -c . <<<"$summary")"

# 5. The purchase order of the product's supplier and the delivery sheet of the point's route.
wave="$base/api/platform/regions/$region/waves/$day"
supplier=$(call "$wave/purchase-orders" -H "authorization: Bearer $admin" |
  jq -r --arg sku "$sku" '.purchase_orders[] | select(any(.lines[]; .sku == $sku)) | .supplier.id')
route=$(call "$wave/delivery-sheets" -H "authorization: Bearer $admin" |
  jq -r --arg p "$point" '.delivery_sheets[] | select(any(.stops[]; .point == $p)) | .route.id')
call "$wave/purchase-orders/$supplier.pdf" -H "authorization: Bearer $admin" -o "$out/purchase-order.pdf" >/dev/null
call "$wave/delivery-sheets/$route.pdf" -H "authorization: Bearer $admin" -o "$out/delivery-sheet.pdf" >/dev/null
for pdf in purchase-order delivery-sheet; do
  pdftoppm -r 80 -png -f 1 -l 1 "$out/$pdf.pdf" "$out/$pdf"
  text=$(pdftotext "$out/$pdf.pdf" -)
  grep -qF "$name" <<<"$text" || fail "$pdf.pdf does not list $name"
done
echo "walkthrough: PDFs and their first pages as PNG in $out/"
