#!/bin/sh
# Daily snapshot of the DocsTown repos volume, with retention. Runs as root on the droplet from
# docstown-volume-snapshot.service (timer: daily). Needs curl and jq.
#
#   volume-snapshot.sh run <volume-name> <mount-point>
#       freeze the filesystem at <mount-point> (if mounted), ask DigitalOcean for a snapshot of the
#       volume named <volume-name>, thaw, then delete this volume's automatic snapshots beyond the
#       newest KEEP. Others' snapshots (other volumes, or ours taken by hand) are never touched.
#   volume-snapshot.sh install-config
#       read KEY=value lines (DIGITALOCEAN_TOKEN, REGION, KEEP) from stdin into CONFIG_FILE,
#       root-only; the deploy user may run exactly this through sudo (the token never sits on a
#       command line or in user-data).
#   volume-snapshot.sh thaw <mount-point>
#       thaw, ignoring "not frozen" (systemd's ExecStopPost, whatever ended the run).
#
# Exit codes: 0 done, 1 API or filesystem failure, 2 usage or configuration error.
# Env (tests): CONFIG_FILE (default /etc/docstown/volume-snapshot.env),
#   DIGITALOCEAN_API_URL (default https://api.digitalocean.com), FSFREEZE (default fsfreeze),
#   FREEZE_MAX_SECONDS (default 60): the longest the filesystem stays frozen, whatever happens.
set -eu

CONFIG_FILE=${CONFIG_FILE:-/etc/docstown/volume-snapshot.env}
API=${DIGITALOCEAN_API_URL:-https://api.digitalocean.com}
FSFREEZE=${FSFREEZE:-fsfreeze}
FREEZE_MAX=${FREEZE_MAX_SECONDS:-60}
# Every automatic snapshot's name starts with this and the volume's name: that is what retention
# counts and deletes, and nothing else.
PREFIX=docstown-auto

die() { code=$1; shift; echo "volume-snapshot: ERROR: $*" >&2; exit "$code"; }
log() { echo "volume-snapshot: $*" >&2; }

# --- config -------------------------------------------------------------------------------------

# The file is parsed, never sourced: it is root's, but written from what the deploy user sends.
config_value() { sed -n "s/^$1=//p" "$CONFIG_FILE" | tail -n 1; }

install_config() {
  umask 077
  dir=$(dirname "$CONFIG_FILE")
  mkdir -p "$dir"
  tmp="$CONFIG_FILE.tmp.$$"
  : >"$tmp"
  while IFS= read -r line || [ -n "$line" ]; do
    case $line in
      DIGITALOCEAN_TOKEN=*) v=${line#*=}; case $v in '' | *[!A-Za-z0-9_]*) rm -f "$tmp"; die 2 "DIGITALOCEAN_TOKEN: not a token" ;; esac ;;
      REGION=*) v=${line#*=}; case $v in '' | *[!a-z0-9]*) rm -f "$tmp"; die 2 "REGION: not a region slug" ;; esac ;;
      KEEP=*) v=${line#*=}; case $v in '' | *[!0-9]* | 0) rm -f "$tmp"; die 2 "KEEP: must be a whole number of at least 1" ;; esac ;;
      '') continue ;;
      *) rm -f "$tmp"; die 2 "unexpected line (only DIGITALOCEAN_TOKEN, REGION, KEEP)" ;;
    esac
    printf '%s\n' "$line" >>"$tmp"
  done
  for key in DIGITALOCEAN_TOKEN REGION KEEP; do
    grep -q "^$key=" "$tmp" || { rm -f "$tmp"; die 2 "$key missing"; }
  done
  chmod 0600 "$tmp"
  mv -f "$tmp" "$CONFIG_FILE"
  log "wrote $CONFIG_FILE"
}

# --- API ----------------------------------------------------------------------------------------

# api <method> <path> [json body]: sets STATUS (HTTP status, 000 when none) and BODY.
# The token reaches curl through its config on stdin (printf is a shell builtin), never argv.
api() {
  method=$1 path=$2 data=${3:-}
  out=$(mktemp)
  set -- --silent --show-error --max-time 60 --request "$method" --output "$out" --write-out '%{http_code}' \
    --header 'Content-Type: application/json' "$API$path"
  [ -z "$data" ] || set -- --data "$data" "$@"
  # In the background and waited for: a signal interrupts `wait` at once, so the trap thaws
  # without waiting for curl's 60 s.
  printf 'header = "Authorization: Bearer %s"\n' "$TOKEN" | curl --config - "$@" >"$out.status" &
  CURL=$!
  wait "$CURL" || true
  CURL=
  STATUS=$(cat "$out.status" 2>/dev/null || true)
  [ -n "$STATUS" ] || STATUS=000
  BODY=$(cat "$out" 2>/dev/null || true)
  rm -f "$out" "$out.status"
}

# --- freeze -------------------------------------------------------------------------------------

FROZEN=
WATCHDOG=
CURL=

thaw() {
  [ -n "$FROZEN" ] || return 0
  "$FSFREEZE" --unfreeze "$FROZEN" 2>/dev/null || true
  log "thawed $FROZEN"
  FROZEN=
  # The watchdog leads its own process group: take its sleep along.
  if [ -n "$WATCHDOG" ]; then kill -- "-$WATCHDOG" 2>/dev/null || kill "$WATCHDOG" 2>/dev/null || true; WATCHDOG=; fi
}

# A trap cannot catch SIGKILL: a detached watchdog thaws after FREEZE_MAX seconds whatever became
# of this process (systemd's ExecStopPost thaws too, at once, when the service ends).
freeze() {
  mp=$1
  # setsid: its own session, so a signal to our process group does not take it along.
  # shellcheck disable=SC2016 # expanded by the watchdog's shell, from its arguments
  setsid sh -c 'sleep "$1"; "$2" --unfreeze "$3" 2>/dev/null && echo "volume-snapshot: watchdog thawed $3 after $1 s" >&2' \
    watchdog "$FREEZE_MAX" "$FSFREEZE" "$mp" </dev/null &
  WATCHDOG=$!
  FROZEN=$mp
  if ! timeout 10 "$FSFREEZE" --freeze "$mp"; then
    thaw
    die 1 "could not freeze $mp"
  fi
  log "froze $mp (at most ${FREEZE_MAX}s)"
}

trap 'thaw' EXIT
trap 'thaw; [ -z "$CURL" ] || kill "$CURL" 2>/dev/null; exit 1' INT TERM HUP

# --- run ----------------------------------------------------------------------------------------

run() {
  volume_name=$1 mp=$2
  case $volume_name in '' | *[!a-z0-9-]*) die 2 "volume name must be lower-case letters, digits and dashes: '$volume_name'" ;; esac
  case $FREEZE_MAX in '' | *[!0-9]* | 0) die 2 "FREEZE_MAX_SECONDS must be a whole number of at least 1" ;; esac
  [ -r "$CONFIG_FILE" ] || die 2 "$CONFIG_FILE is missing: pulumi up writes it (docs/restore-repos-volume.md)"
  TOKEN=$(config_value DIGITALOCEAN_TOKEN) REGION=$(config_value REGION) KEEP=$(config_value KEEP)
  if [ -z "$TOKEN" ] || [ -z "$REGION" ]; then die 2 "$CONFIG_FILE lacks DIGITALOCEAN_TOKEN or REGION"; fi
  case $KEEP in '' | *[!0-9]* | 0) die 2 "KEEP in $CONFIG_FILE must be a whole number of at least 1" ;; esac

  # Everything that can be asked before the freeze is asked before it.
  api GET "/v2/volumes?name=$volume_name&region=$REGION"
  [ "$STATUS" = 200 ] || die 1 "looking up volume $volume_name in $REGION: HTTP $STATUS $(printf '%s' "$BODY" | head -c 300)"
  volume_id=$(printf '%s' "$BODY" | jq -r '.volumes | if length == 1 then .[0].id else empty end')
  [ -n "$volume_id" ] || die 1 "no single volume named $volume_name in $REGION"

  name="$PREFIX-$volume_name-$(date -u +%Y%m%d-%H%M%S)"
  request=$(jq -cn --arg name "$name" '{name: $name}')

  if mountpoint -q "$mp"; then freeze "$mp"; else log "$mp is not mounted: snapshot without freezing"; fi
  api POST "/v2/volumes/$volume_id/snapshots" "$request"
  thaw
  [ "$STATUS" = 201 ] || die 1 "snapshot of $volume_name ($volume_id) failed: HTTP $STATUS $(printf '%s' "$BODY" | head -c 300); nothing deleted"
  snapshot_id=$(printf '%s' "$BODY" | jq -r '.snapshot.id // empty')
  [ -n "$snapshot_id" ] || die 1 "snapshot answer has no id; nothing deleted"
  log "created snapshot $name ($snapshot_id)"

  # Retention: this volume's snapshots only (the API lists them per volume), ours by name.
  all='[]' page=1
  while :; do
    api GET "/v2/volumes/$volume_id/snapshots?page=$page&per_page=200"
    [ "$STATUS" = 200 ] || die 1 "listing snapshots of $volume_id: HTTP $STATUS; nothing deleted"
    all=$(printf '%s\n%s' "$all" "$BODY" | jq -cs '.[0] + (.[1].snapshots // [])')
    [ "$(printf '%s' "$BODY" | jq -r '.links.pages.next // empty')" != "" ] || break
    page=$((page + 1))
  done
  # The exact name shape, not a prefix: volume docstown-repos-2's names start like docstown-repos'.
  ours=$(printf '%s' "$all" | jq -c --arg re "^$PREFIX-$volume_name-[0-9]{8}-[0-9]{6}\$" --arg v "$volume_id" \
    '[.[] | select((.name | test($re)) and (.resource_id == $v))] | sort_by(.created_at) | reverse')
  printf '%s' "$ours" | jq -e --arg id "$snapshot_id" 'any(.[]; .id == $id)' >/dev/null ||
    die 1 "the new snapshot $snapshot_id is not in the volume's list; nothing deleted"
  for old in $(printf '%s' "$ours" | jq -r --argjson keep "$KEEP" '.[$keep:][] | .id'); do
    api DELETE "/v2/snapshots/$old"
    [ "$STATUS" = 204 ] || die 1 "deleting snapshot $old: HTTP $STATUS"
    log "deleted old snapshot $old"
  done
  log "done: $(printf '%s' "$ours" | jq --argjson keep "$KEEP" '[length, $keep] | min') automatic snapshots of $volume_name kept"
}

case ${1:-} in
  run) [ "$#" -eq 3 ] || die 2 "usage: $0 run <volume-name> <mount-point>"; run "$2" "$3" ;;
  install-config) [ "$#" -eq 1 ] || die 2 "usage: $0 install-config < KEY=value lines"; install_config ;;
  thaw) [ "$#" -eq 2 ] || die 2 "usage: $0 thaw <mount-point>"; "$FSFREEZE" --unfreeze "$2" 2>/dev/null || true ;;
  *) die 2 "usage: $0 run <volume-name> <mount-point> | install-config | thaw <mount-point>" ;;
esac
