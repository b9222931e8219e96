#!/bin/sh
# Mount the DocsTown block-storage volume; run as root by cloud-init at EVERY boot
# (DigitalOcean formats and mounts a volume only when it is first created).
#
#   mount-volume.sh <device> <mount-point> <uid:gid>
#   e.g. mount-volume.sh /dev/disk/by-id/scsi-0DO_Volume_docstown-repos /data/repos 1000:1000
#
# Exit codes: 0 mounted (or already mounted), 1 device absent, 2 usage error,
#             3 device holds something other than ext4 or is not blank (never formatted),
#             4 something else is mounted at the mount point.
# Env: MOUNT_VOLUME_WAIT_SECONDS (default 30) how long to wait for the device;
#      FSTAB (default /etc/fstab) the fstab file to maintain.
set -eu

OPTS=defaults,nofail,discard,noatime
FSTAB=${FSTAB:-/etc/fstab}
WAIT=${MOUNT_VOLUME_WAIT_SECONDS:-30}

die() { code=$1; shift; echo "mount-volume: ERROR: $*" >&2; exit "$code"; }
log() { echo "mount-volume: $*" >&2; }

[ "$#" -eq 3 ] || die 2 "usage: $0 <device> <mount-point> <uid:gid>"
dev=$1 mp=$2 owner=$3
# fstab fields cannot hold whitespace; a trailing slash would not match the fstab entry.
case $mp in / | */ | *[[:space:]]* | [!/]*) die 2 "mount point must be an absolute path without spaces or trailing slash: '$mp'" ;; esac
case $dev in *[[:space:]]* | [!/]*) die 2 "device must be an absolute path without spaces: '$dev'" ;; esac
case $owner in *[!0-9:]* | *:*:*) die 2 "owner must be numeric uid:gid: '$owner'" ;; [0-9]*:[0-9]*) ;; *) die 2 "owner must be numeric uid:gid: '$owner'" ;; esac
case $WAIT in '' | *[!0-9]*) die 2 "MOUNT_VOLUME_WAIT_SECONDS must be a whole number: '$WAIT'" ;; esac

# The attachment can surface a few seconds after boot: wait, but not forever.
i=0
while [ ! -b "$dev" ] && [ "$i" -lt "$WAIT" ]; do sleep 1; i=$((i + 1)); done

# Unless a filesystem is mounted there, the directory is the root disk: make it root-only,
# so the uid-1000 app fails loudly instead of writing data that the volume would later hide.
if ! mountpoint -q "$mp"; then
  mkdir -p "$mp"
  chown 0:0 "$mp"
  chmod 0000 "$mp"
fi

[ -b "$dev" ] || die 1 "volume device $dev did not appear within ${WAIT}s; $mp left unmounted and root-only (mode 0000)"

# Format only a device that is provably blank: blkid finds no signature (exit 2) AND the
# first MiB reads as zeros, so a volume with a damaged superblock is never wiped
# (cmp exits 0 only when it read that MiB and it was all zeros; a read error is not blank).
rc=0
fstype=$(blkid -p -o value -s TYPE "$dev") || rc=$?
if [ "$rc" -eq 2 ]; then
  cmp -s -n 1048576 "$dev" /dev/zero ||
    die 3 "$dev has no recognisable filesystem but is not blank; refusing to format it"
  log "$dev is blank: creating an ext4 filesystem"
  mkfs.ext4 -q "$dev"
elif [ "$rc" -ne 0 ] || [ "$fstype" != ext4 ]; then
  die 3 "$dev holds '${fstype:-unknown signature, blkid exit $rc}', not ext4; refusing to format or mount it"
fi

# Exactly one fstab entry for the mount point, ours; rewrite only when it differs.
line="$dev $mp ext4 $OPTS 0 2"
[ -e "$FSTAB" ] || : >"$FSTAB"
if [ "$(awk -v mp="$mp" '$1 !~ /^#/ && $2 == mp' "$FSTAB")" != "$line" ]; then
  log "writing '$line' to $FSTAB"
  awk -v mp="$mp" '$1 ~ /^#/ || $2 != mp' "$FSTAB" >"$FSTAB.mount-volume.tmp"
  echo "$line" >>"$FSTAB.mount-volume.tmp"
  chmod 0644 "$FSTAB.mount-volume.tmp"
  mv -f "$FSTAB.mount-volume.tmp" "$FSTAB"
  # A stale generated mount unit can make systemd unmount what we mount next.
  if [ "$FSTAB" = /etc/fstab ] && [ -d /run/systemd/system ]; then systemctl daemon-reload; fi
fi

# Mount through the fstab entry (proves the entry works); never stack a second mount.
if mountpoint -q "$mp"; then
  src=$(findmnt -n -f -o SOURCE --mountpoint "$mp")
  [ "$src" = "$(readlink -f "$dev")" ] || die 4 "$mp is already mounted from $src, not $dev"
else
  mount --fstab "$FSTAB" "$mp"
  log "mounted $dev at $mp"
fi

# Only the top directory: a recursive chown of a large clone at every boot would be slow.
[ "$(stat -c %u:%g "$mp")" = "$owner" ] || chown "$owner" "$mp"
