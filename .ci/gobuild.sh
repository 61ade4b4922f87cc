# Shared steps of the scripts that build a server from the Go module proxy once per machine and
# cache it outside the checkout (etcd.sh, consul.sh). Sourced, not run. The caller sets, before
# sourcing: name (the script, for messages), label (what is built), version, cache, bin, and a
# function ready (whether $bin already is the wanted build).
# On failure the reason is also written to $cache/build-failed.txt, which the tests quote.

failed="$cache/build-failed.txt"

fail() {
  echo "$name: $*" >&2
  printf 'building %s %s from the Go module proxy failed: %s\n' "$label" "$version" "$*" >"$failed"
  exit 1
}

# Prints $bin and exits when it is built already; otherwise takes the machine's build lock and
# returns with an empty $work directory (removed on exit). $1: the Go version the build needs.
gobuild_start() {
  if ready; then
    echo "$bin"
    exit 0
  fi
  mkdir -p "$cache"
  command -v go >/dev/null 2>&1 || fail "no 'go' on PATH (install Go $1 or later)"
  # One build at a time per machine, whoever asks.
  exec 9>"$cache/.lock"
  flock 9
  if ready; then
    echo "$bin"
    exit 0
  fi
  work="$(mktemp -d "${TMPDIR:-/tmp}/regent-$(basename "$bin")-build.XXXXXX")"
  trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
  started=$(date +%s)
  echo "$name: building $label $version from the Go module proxy into $cache (once per machine)" >&2
}

# Downloads module $1 at v$version, checks that it has the file $2 and that its LICENSE matches
# the pattern $3 (named $4 in the error), and changes into a writable copy of it.
gobuild_fetch() {
  local module="$1@v$version" dir
  dir="$(go mod download -json "$module" \
    | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')" \
    || fail "go mod download $module failed"
  [ -n "$dir" ] && [ -f "$dir/$2" ] || fail "the module proxy gave no source for $module"
  grep -q "$3" "$dir/LICENSE" || fail "its LICENSE is not $4"
  cp -r "$dir" "$work/src"
  chmod -R u+w "$work/src"
  cd "$work/src"
}

# Builds the current directory's main package into $work/<binary name>.
gobuild_compile() {
  GOFLAGS=-mod=mod CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o "$work/$(basename "$bin")" . \
    >"$work/build.log" 2>&1 || fail "go build failed: $(tail -20 "$work/build.log")"
}

# Moves the checked build into the cache and prints its path. $1: the binary's version argument.
gobuild_finish() {
  mv "$work/$(basename "$bin")" "$bin.tmp"
  mv "$bin.tmp" "$bin"
  rm -f "$failed"
  echo "$name: built $("$bin" "$1" | head -1) in $(( $(date +%s) - started )) s" >&2
  echo "$bin"
}
