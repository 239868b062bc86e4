#!/usr/bin/env bash
# The wasm bundle's size as a browser fetches it (BENCHMARKS.md, "Size of the wasm bundle"): the main
# module every page loads, then what each lazily loaded page adds on its first visit (its module and
# the shared chunks it needs that no page visited before loaded; counted here as if it were the first
# lazy page visited). Sizes are bytes, and bytes after gzip -9, file by file as a server sends them.
#
#   bench/wasm-size.sh [PKG_DIR]    (default target/site/pkg, written by ./run build)
#
# With MAIN_BUDGET=BYTES it also fails when the main module's gzip -9 size is over BYTES (`./run test`
# holds it to 250 000: home, and the wait before any page hydrates, stay under 250 KB).
set -euo pipefail
pkg=${1:-target/site/pkg}
[ -f "$pkg/livecheck.wasm" ] || { echo "no $pkg/livecheck.wasm: run ./run build first" >&2; exit 1; }
gz() { gzip -9 -c "$1" | wc -c; }
files_size() { local n=0 z=0 f; for f in "$@"; do n=$((n + $(stat -c %s "$f"))); z=$((z + $(gz "$f"))); done; echo "$n $z"; }

read -r main main_gz < <(files_size "$pkg/livecheck.wasm")
printf '%-28s %10s %12s\n' "module" "bytes" "gzip -9"
printf '%-28s %10d %12d\n' "main (every page)" "$main" "$main_gz"
if [ -n "${MAIN_BUDGET:-}" ]; then
  if [ "$main_gz" -gt "$MAIN_BUDGET" ]; then
    echo "the main module is $main_gz B gzip, over its budget of $MAIN_BUDGET B" >&2
    exit 1
  fi
  echo "(the main module is within its budget of $MAIN_BUDGET B gzip)"
fi
loader="$pkg/__wasm_split.js"
[ -f "$loader" ] || exit 0
# Each page's loader is `export const __wasm_split_load___NAME_route_view_HASH = …makeLoad(…
# fetch("./split___NAME….wasm") …, [__chunk_1, __chunk_2, …]));` in __wasm_split.js.
# The live connection (`#[lazy] fn connection`, fetched once someone is signed in and the page has
# hydrated) is counted the same way.
for split in "$pkg"/split___*.wasm "$pkg"/split_connection_*.wasm; do
  [ -e "$split" ] || continue
  name=$(basename "$split" .wasm)
  case $name in
    split___*) page=${name#split___}; page="${page%_route_view_*} page" ;;
    *) page="live connection" ;;
  esac
  chunks=$(awk -v want="__wasm_split_load_${name#split_}" '
    index($0, "export const " want " ") { on = 1 }
    on && /^, \[/ { gsub(/[^_a-z0-9,]/, ""); n = split($0, a, ","); for (i = 1; i <= n; i++) if (a[i] != "") print a[i]; exit }
  ' "$loader" | sed 's/^__chunk_/chunk_/')
  files=("$split")
  for c in $chunks; do files+=("$pkg/$c.wasm"); done
  read -r n z < <(files_size "${files[@]}")
  printf '%-28s %10d %12d  (%d files)\n' "+ $page" "$n" "$z" "${#files[@]}"
done
read -r all all_gz < <(files_size "$pkg"/*.wasm)
printf '%-28s %10d %12d  (%d files)\n' "all modules" "$all" "$all_gz" "$(ls "$pkg"/*.wasm | wc -l)"
