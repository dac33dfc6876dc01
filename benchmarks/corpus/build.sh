#!/usr/bin/env bash
# Builds the corpus: every src/*.c with clang-22 at -mcpu=v1..v4 into OUT/<cpu>/<name>.o,
# the per-program-type sources src/types/*.c at -mcpu=v3 into OUT/types/<name>.o, the
# relational suite src/relational/*.c at -mcpu=v3 into OUT/relational/<name>.o, and the
# older loaders' objects ../loaders/src/*.c at -mcpu=v2 into OUT/loaders/<name>.o.
#
#   benchmarks/corpus/build.sh [OUT]     (OUT defaults to benchmarks/corpus/build, gitignored)
#
# The flags are those of a libbpf project (-target bpf -O2 -g); the objects are never
# committed. CLANG overrides the compiler. Re-running rebuilds only what is out of date.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
out="${1:-$here/build}"
clang="${CLANG:-clang-22}"
cpus=(v1 v2 v3 v4)

if ! command -v "$clang" >/dev/null 2>&1; then
    echo "build.sh: $clang not found; run ./scripts/setup" >&2
    exit 1
fi

for cpu in "${cpus[@]}"; do
    mkdir -p "$out/$cpu"
    for src in "$here"/src/*.c; do
        name="$(basename "$src" .c)"
        obj="$out/$cpu/$name.o"
        if [[ "$obj" -nt "$src" && "$obj" -nt "$here/include/bpf_corpus.h" && "$obj" -nt "$0" ]]; then
            continue
        fi
        "$clang" -target bpf -O2 -g -mcpu="$cpu" -I"$here/include" -c "$src" -o "$obj.tmp"
        mv "$obj.tmp" "$obj"
    done
done

# build_one SRC OBJ CPU: compiles when the object is missing or older than its inputs.
build_one() {
    local src="$1" obj="$2" cpu="$3"
    if [[ "$obj" -nt "$src" && "$obj" -nt "$here/include/bpf_corpus.h" && "$obj" -nt "$here/include/bpf_types.h" && "$obj" -nt "$0" ]]; then
        return
    fi
    "$clang" -target bpf -O2 -g -mcpu="$cpu" -I"$here/include" -c "$src" -o "$obj.tmp"
    mv "$obj.tmp" "$obj"
}

mkdir -p "$out/types" "$out/loaders" "$out/relational"
for src in "$here"/src/types/*.c; do
    build_one "$src" "$out/types/$(basename "$src" .c).o" v3
done
for src in "$here"/src/relational/*.c; do
    build_one "$src" "$out/relational/$(basename "$src" .c).o" v3
done
for src in "$here"/../loaders/src/*.c; do
    [[ -e "$src" ]] || continue
    build_one "$src" "$out/loaders/$(basename "$src" .c).o" v2
done
