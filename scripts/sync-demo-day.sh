#!/usr/bin/env bash
# Gives a running demo sync server a pickup point with a day to run, through the
# platform and consumer APIs as people would (see scripts/api-walkthrough.sh):
# consumers order at one point (two orders with two lines, one order cancelled),
# one order at a neighbouring point, the wave is cut off, and an enrollment code
# is issued for the counter. Writes OUT_DIR/seed.json, in the shape the counter
# end-to-end scenario reads: the pickup codes and QR payloads come from the
# consumer API's answers, as a customer holds them.
#
#   scripts/sync-demo-day.sh BASE_URL SERVER_LOG OUT_DIR
set -euo pipefail

base=${1:?usage: sync-demo-day.sh BASE_URL SERVER_LOG OUT_DIR}
log=${2:?usage: sync-demo-day.sh BASE_URL SERVER_LOG OUT_DIR}
out=${3:?usage: sync-demo-day.sh BASE_URL SERVER_LOG OUT_DIR}
mkdir -p "$out"

fail() { echo "sync-demo-day: $*" >&2; exit 1; }
# curl that fails on an HTTP error and shows the server's JSON error body.
call() {
  local body status
  body=$(curl -sS -w '\n%{http_code}' "$@") || fail "curl $* failed"
  status=${body##*$'\n'}
  body=${body%$'\n'*}
  [[ $status == 2* ]] || fail "HTTP $status from $*: $body"
  printf '%s' "$body"
}
json=(-H 'content-type: application/json')

password=$(sed -n 's/.*password=\([^ ]*\).*/\1/p' "$log" | head -1)
[ -n "$password" ] || fail "no admin password in the server log"
admin=$(call -X POST "$base/api/platform/login" "${json[@]}" \
  -d "{\"username\":\"admin\",\"password\":\"$password\"}" | jq -r .token)
staff=(-H "authorization: Bearer $admin")

consumer() {
  call -X POST "$base/api/consumer/session" "${json[@]}" \
    -d "{\"phone\":\"$1\",\"name\":\"$2\"}" | jq -r .token
}
first=$(consumer 13800138000 陈女士)
read -r lat lng < <(call "$base/api/platform/points?status=approved" "${staff[@]}" |
  jq -r '.items[0] | "\(.lat) \(.lng)"')
read -r point other < <(call "$base/api/consumer/pickup-points?lat=$lat&lng=$lng" \
  -H "authorization: Bearer $first" | jq -r '"\(.[0].id) \(.[1].id)"')
[ "$other" != null ] || fail "no second pickup point near the first"
read -r sku1 sku2 < <(call "$base/api/consumer/catalog" -H "authorization: Bearer $first" |
  jq -r '[.[] | select(.stock_left > 20)] | "\(.[0].sku) \(.[1].sku)"')

# order N PHONE NAME POINT LINES_JSON -> the consumer API's answer, one line of JSON
n=0
order() {
  local token
  token=$(consumer "$1" "$2")
  n=$((n + 1))
  call -X POST "$base/api/consumer/orders" -H "authorization: Bearer $token" "${json[@]}" \
    -H "idempotency-key: e2e-$n-$RANDOM$RANDOM" -d "{\"point\":\"$3\",\"lines\":$4}" |
    jq -c --arg token "$token" '{id, number, day, code, qr: .qr_payload, token: $token}'
}
one="[{\"sku\":\"$sku1\",\"qty\":1}]"
two="[{\"sku\":\"$sku1\",\"qty\":1},{\"sku\":\"$sku2\",\"qty\":2}]"
orders=(
  "$(order 13800138001 王女士 "$point" "$one")"
  "$(order 13800138002 张先生 "$point" "$one")"
  "$(order 13800138003 刘阿姨 "$point" "[{\"sku\":\"$sku2\",\"qty\":1}]")"
  "$(order 13800138004 赵先生 "$point" "$one")"
  "$(order 13800138005 孙女士 "$point" "$two")"
  "$(order 13800138006 周先生 "$point" "$two")"
)
elsewhere=$(order 13800138007 吴女士 "$other" "$one")
day=$(jq -r .day <<<"${orders[0]}")

# The second order is cancelled by its consumer before cutoff.
cancelled_id=$(jq -r .id <<<"${orders[1]}")
call -X POST "$base/api/consumer/orders/$cancelled_id/cancel" \
  -H "authorization: Bearer $(jq -r .token <<<"${orders[1]}")" >/dev/null

region=$(call "$base/api/platform/points/$point" "${staff[@]}" | jq -r .region)
call -X POST "$base/api/platform/regions/$region/cutoff" "${staff[@]}" "${json[@]}" \
  -d "{\"day\":\"$day\"}" >/dev/null
code=$(call -X POST "$base/api/platform/points/$point/enrollment-codes" "${staff[@]}" | jq -r .code)

printf '%s\n' "${orders[@]}" |
  jq -s --arg point "$point" --arg day "$day" --arg code "$code" --arg server "$base" \
    --arg other "$(jq -r .qr <<<"$elsewhere")" --arg cancelled "$cancelled_id" --arg staff "$admin" \
    '{point: $point, day: $day, server: $server, enrollmentCode: $code, otherPointQr: $other,
      staffToken: $staff,
      orders: map(. + {cancelled: (.id == $cancelled)})}' >"$out/seed.json"
echo "sync-demo-day: point $point, $day: ${#orders[@]} orders (one cancelled), cut off; enrollment code $code"
