#!/usr/bin/env bash
# Builds the local stack's images on this machine, with no registry and no base image:
#   <prefix>demo:<version>      the Rails runtime contract as one static Go binary (demo/rails)
#   <prefix>postgres:<major>    this machine's Debian PostgreSQL, FROM scratch
#   <prefix>caddy:<version>     Caddy built from its Go module (demo/caddy/go.mod pins it)
# Each image is a FROM scratch Dockerfile (demo/images/) over a root filesystem assembled here
# and packed reproducibly (sorted, fixed times), so an unchanged input is a cached build with
# the same image id, and a redeploy of it changes nothing.
#
# Usage: demo/build.sh [--version V] [--failing-migration] [--only app,postgres,proxy] [--prefix P]
#   --version V           tag of the demo app image (default 1); shown on its page and /version
#   --failing-migration   build an app whose `bin/rails db:prepare` exits 1 (a failed migration)
#   --only LIST           which images to build (default: all three)
#   --prefix P            image name prefix (default docstown-)
set -euo pipefail
umask 022

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
version=1
failing=false
only=app,postgres,proxy
prefix=docstown-

die() { echo "demo images: $*" >&2; exit 1; }

while (($# > 0)); do
  case $1 in
    --version) version=${2:?--version needs a value}; shift 2 ;;
    --failing-migration) failing=true; shift ;;
    --only) only=${2:?--only needs a value}; shift 2 ;;
    --prefix) prefix=${2:?--prefix needs a value}; shift 2 ;;
    -h | --help) sed -n '2,16p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) die "unknown argument $1 (see --help)" ;;
  esac
done
[[ $version =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$ ]] || die "--version must be a Docker tag, not '$version'"
[[ ,$only, =~ ^(,(app|postgres|proxy))+,$ ]] || die "--only takes app, postgres and/or proxy, not '$only'"
wants() { [[ ,$only, == *,$1,* ]]; }

command -v go > /dev/null || die "go is not installed (Debian: apt-get install golang, or Go >= 1.25)"
docker info > /dev/null 2>&1 || die "no Docker engine answers (docker info failed)"
command -v tar > /dev/null || die "tar is not installed"

work=$(mktemp -d "${TMPDIR:-/tmp}/docstown-demo-build.XXXXXX")
trap 'rm -rf "$work"' EXIT

elapsed() { echo "$((SECONDS - $1))s"; }

# Copies each binary and the shared objects ldd lists for it into root, at the same paths.
copy_with_libraries() {
  local root=$1 file lib
  shift
  for file in "$@"; do
    [[ -e $root$file ]] || install -D -m 0755 "$file" "$root$file"
    while read -r lib; do
      [[ -e $root$lib ]] || install -D -m 0755 "$lib" "$root$lib"
    done < <(ldd "$file" 2> /dev/null | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }')
  done
}

# Packs root into context/rootfs.tar: owned by root except the paths given as owner:path pairs.
pack() {
  local root=$1 context=$2 pair
  local -a exclude=() common=(--sort=name --mtime=@0 --numeric-owner --format=gnu -C "$root")
  shift 2
  for pair in "$@"; do exclude+=("--exclude=./${pair#*:}"); done
  tar -cf "$context/rootfs.tar" "${common[@]}" --owner=0 --group=0 "${exclude[@]}" .
  for pair in "$@"; do
    tar -rf "$context/rootfs.tar" "${common[@]}" --owner="${pair%%:*}" --group="${pair%%:*}" "./${pair#*:}"
  done
}

# Builds context with demo/images/<dockerfile>; prints the image id.
build_image() {
  local context=$1 dockerfile=$2 tag=$3
  shift 3
  cp "$here/images/$dockerfile" "$context/Dockerfile"
  # The classic builder: present in every Docker engine we meet, with no buildx plugin needed.
  DOCKER_BUILDKIT=${DOCKER_BUILDKIT:-0} docker build -q --label docstown.demo=true "$@" -t "$tag" "$context" \
    > /dev/null 2> "$context/build.log" || { cat "$context/build.log" >&2; die "docker build of $tag failed"; }
  docker image inspect --format '{{.Id}}' "$tag"
}

passwd() {
  local root=$1
  shift
  mkdir -p "$root/etc"
  printf '%s\n' "root:x:0:0:root:/root:/bin/sh" "$@" > "$root/etc/passwd"
  printf '%s\n' "root:x:0:" "$(printf '%s\n' "$@" | awk -F: '{ print $1 ":x:" $4 ":" }')" > "$root/etc/group"
  printf 'hosts: files dns\n' > "$root/etc/nsswitch.conf"
}

# Debian's busybox-static: a shell (and hostname, chown) in a FROM scratch image.
static_busybox() {
  local busybox=/bin/busybox
  [[ -x $busybox ]] || die "$busybox is missing (apt-get install busybox-static): it gives the images sh, hostname and chown"
  # ldd refuses a static binary; a dynamic busybox would need libraries the image does not have.
  ! ldd "$busybox" > /dev/null 2>&1 || die "$busybox is not statically linked (apt-get install busybox-static)"
  echo "$busybox"
}

build_app() {
  local start=$SECONDS root=$work/app/rootfs context=$work/app tag=${prefix}demo:$version name busybox
  busybox=$(static_busybox)
  echo "demo images: building $tag (go build, failing migration: $failing)" >&2
  mkdir -p "$root/rails/bin" "$root/rails/tmp" "$root/rails/log" "$root/usr/bin" "$root/bin"
  (cd "$here" && CGO_ENABLED=0 go build -trimpath \
    -ldflags "-s -w -buildid= -X main.version=$version -X main.failMigration=$failing" \
    -o "$root/rails/bin/docstown-demo" ./rails)
  for name in thrust rails jobs docker-entrypoint; do ln -s docstown-demo "$root/rails/bin/$name"; done
  ln -s /rails/bin/docstown-demo "$root/usr/bin/curl"
  install -m 0755 "$busybox" "$root/bin/busybox"
  for name in sh hostname chown cat ls id; do ln -s busybox "$root/bin/$name"; done
  install -d -m 1777 "$root/tmp"
  passwd "$root" "rails:x:1000:1000:rails:/rails:/bin/sh"
  pack "$root" "$context" 1000:rails/tmp 1000:rails/log
  local id
  id=$(build_image "$context" app.Dockerfile "$tag" --build-arg "DEMO_VERSION=$version")
  echo "demo images: $tag $id ($(elapsed "$start"))" >&2
  echo "$tag"
}

build_postgres() {
  local start=$SECONDS root=$work/postgres/rootfs context=$work/postgres bin major lib
  bin=$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2> /dev/null | sort -V | tail -n 1)
  [[ -n $bin && -x $bin/postgres ]] || die "no PostgreSQL server under /usr/lib/postgresql (apt-get install postgresql)"
  major=$(basename "$(dirname "$bin")")
  local tag=${prefix}postgres:$major
  echo "demo images: building $tag from $bin" >&2
  mkdir -p "$root"
  copy_with_libraries "$root" "$bin/postgres" "$bin/initdb" "$bin/pg_isready" "$bin/psql"
  for lib in "/usr/lib/postgresql/$major/lib"/*.so; do
    # JIT needs LLVM (hundreds of MB); without it the server simply does not JIT.
    [[ $(basename "$lib") == llvmjit.so ]] && continue
    copy_with_libraries "$root" "$lib"
  done
  mkdir -p "$root/usr/share/postgresql" "$root/usr/share/zoneinfo"
  cp -a "/usr/share/postgresql/$major" "$root/usr/share/postgresql/"
  cp -a /usr/share/zoneinfo/. "$root/usr/share/zoneinfo/"
  (cd "$here" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -buildid=" -o "$root/usr/local/bin/docker-entrypoint" ./pgentry)
  # initdb and the server run helpers through popen/system, that is /bin/sh.
  install -D -m 0755 "$(static_busybox)" "$root/bin/busybox"
  ln -s busybox "$root/bin/sh"
  install -d -m 1777 "$root/tmp"
  install -d -m 0700 "$root/var/lib/postgresql/data"
  # Mode as in the official image: a tmpfs mounted here takes it, and the server puts its socket there.
  install -d -m 3777 "$root/var/run/postgresql"
  passwd "$root" "postgres:x:999:999:PostgreSQL:/var/lib/postgresql:/bin/sh"
  pack "$root" "$context" 999:var/lib/postgresql 999:var/run/postgresql
  local id
  id=$(build_image "$context" postgres.Dockerfile "$tag" --build-arg "PG_MAJOR=$major")
  echo "demo images: $tag $id ($(elapsed "$start"))" >&2
  echo "$tag"
}

build_proxy() {
  local start=$SECONDS root=$work/caddy/rootfs context=$work/caddy caddy_version
  command -v setcap > /dev/null || die "setcap is missing (apt-get install libcap2-bin): the image sets cap_net_bind_service with it"
  caddy_version=$(cd "$here/caddy" && go list -m -f '{{.Version}}' github.com/caddyserver/caddy/v2) ||
    die "cannot read Caddy's version from demo/caddy/go.mod (is the Go module proxy reachable?)"
  local tag=${prefix}caddy:${caddy_version#v}
  echo "demo images: building $tag (go build of Caddy $caddy_version)" >&2
  mkdir -p "$root/usr/bin" "$root/etc/caddy" "$root/config" "$root/data" "$root/srv"
  (cd "$here/caddy" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -buildid=" -o "$root/usr/bin/caddy" .) ||
    die "go build of Caddy $caddy_version failed (see above; a module that cannot be fetched is named there)"
  copy_with_libraries "$root" "$(command -v setcap)"
  printf ':80 {\n\trespond "docstown-caddy %s" 200\n}\n' "$caddy_version" > "$root/etc/caddy/Caddyfile"
  install -d -m 1777 "$root/tmp"
  passwd "$root" "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin"
  pack "$root" "$context"
  local id
  id=$(build_image "$context" caddy.Dockerfile "$tag" --build-arg "CADDY_VERSION=$caddy_version")
  echo "demo images: $tag $id ($(elapsed "$start"))" >&2
  echo "$tag"
}

total=$SECONDS
built=()
if wants app; then built+=("app=$(build_app)"); fi
if wants postgres; then built+=("postgres=$(build_postgres)"); fi
if wants proxy; then built+=("proxy=$(build_proxy)"); fi
echo "demo images: done in $(elapsed "$total")" >&2
if wants app && wants postgres; then
  cat >&2 << EOF
demo images: to run the local stack on them (nothing pulled), set in Pulumi.local.yaml:
  docstown:app     image: ${prefix}demo, tag: "$version"
  docstown:local   postgresImage: $(printf '%s\n' "${built[@]}" | sed -n 's/^postgres=//p'), imageSource: daemon
EOF
fi
printf '%s\n' "${built[@]}"
