#!/usr/bin/env bash
# Build the libFuzzer targets with clang and run each for a while.
#   tests/fuzz/run.sh [SECONDS]      (default 30 per target)
# Found crashes are left in build-fuzz/ as crash-* files and fail the run.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-30}
out=build-fuzz
mkdir -p "$out/corpus-parser" "$out/corpus-config"
clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE \
  -Iparsers -Iconfig tests/fuzz/fuzz_parser.c parsers/[a-z]*.c config/diag.c \
  config/catalog*.c -lpcre2-8 -o "$out/fuzz_parser"
"$out/fuzz_parser" -max_len=70000 -timeout=5 -max_total_time="$seconds" \
  -artifact_prefix="$out/" "$out/corpus-parser"

clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE \
  -Iparsers -Iconfig tests/fuzz/fuzz_config.c config/*.c parsers/[a-z]*.c \
  -lpcre2-8 -lyaml -lm -o "$out/fuzz_config"
"$out/fuzz_config" -max_len=8192 -timeout=5 -max_total_time="$seconds" \
  -artifact_prefix="$out/" "$out/corpus-config" tests/fuzz/seeds-config
