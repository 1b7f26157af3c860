#!/usr/bin/env bash
# Builds the TF2TVMBridgeOp library: OUTDIR/libtf2tvm_op.so, with the TVM
# runtime it links (libtvm_runtime.so) copied beside it, and the tuner's
# launcher library OUTDIR/libtf2tvm_launcher.so (the op's parallel-loop
# launcher on a plain thread pool; no TensorFlow, no TVM runtime), and
# OUTDIR/tf2tvm_peak (the FMA peak this machine reaches, for tune's "% of
# peak"; peak.cc), and
# OUTDIR/libtf2tvm_op.json: the TensorFlow version and C++ ABI the op
# library was built against, which tf2tvm_runtime.py checks before loading
# it (a mismatch would fail inside dlopen with an undefined symbol).
#
#   runtime/build.sh PYTHON OUTDIR
#
# PYTHON is an interpreter with tensorflow and a tvm package installed: the
# compile and link flags come from its tf.sysconfig, the TVM headers and
# runtime from its tvm package folder. tvm is located without importing it
# (importing it loads LLVM and the whole compiler).
#
# Prints nothing and rebuilds nothing when both libraries are newer than
# every source here and this script. On a compiler error, prints the
# compiler's output and exits non-zero.
set -euo pipefail

if [[ $# -ne 2 ]]; then
  echo "usage: $0 PYTHON OUTDIR" >&2
  exit 2
fi
python=$1
out_dir=$2
src_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
lib="$out_dir/libtf2tvm_op.so"
record="$out_dir/libtf2tvm_op.json"
launcher="$out_dir/libtf2tvm_launcher.so"
peak="$out_dir/tf2tvm_peak"
# launcher.cc is the launcher library's own, peak.cc a program of its own;
# every other source is the op's.
sources=()
for f in "$src_dir"/*.cc; do
  case "$(basename "$f")" in
    launcher.cc | peak.cc) ;;
    *) sources+=("$f") ;;
  esac
done
launcher_sources=("$src_dir/launcher.cc" "$src_dir/parallel_launch.cc")

up_to_date() {
  [[ -f "$lib" && -f "$launcher" && -f "$peak" && -f "$record" && -f "$out_dir/libtvm_runtime.so" ]] || return 1
  local f
  for f in "$src_dir"/*.cc "$src_dir"/*.h "${BASH_SOURCE[0]}"; do
    [[ "$lib" -nt "$f" && "$launcher" -nt "$f" && "$peak" -nt "$f" ]] || return 1
  done
}
if up_to_date; then
  exit 0
fi

# Runs a Python snippet; on failure shows its stderr (TF's import chatter is
# dropped on success).
py() {
  local err
  err=$(mktemp)
  if ! "$python" -c "$1" 2>"$err"; then
    echo "build.sh: $python failed:" >&2
    cat "$err" >&2
    rm -f "$err"
    exit 3
  fi
  rm -f "$err"
}

# One TensorFlow import (seconds) for both flag lists and the version record:
# line 1 compile flags, line 2 link flags, line 3 the record (JSON).
tf_flags=$(py 'import json, tensorflow as tf; s = tf.sysconfig
print(" ".join(s.get_compile_flags())); print(" ".join(s.get_link_flags()))
print(json.dumps({"tensorflow": tf.__version__, "cxx11_abi": int(s.CXX11_ABI_FLAG),
                  "monolithic": int(s.MONOLITHIC_BUILD), "compiler": tf.version.COMPILER_VERSION}, sort_keys=True))')
tf_cflags=$(sed -n 1p <<<"$tf_flags")
tf_lflags=$(sed -n 2p <<<"$tf_flags")
tf_record=$(sed -n 3p <<<"$tf_flags")
tvm_dir=$(py 'import importlib.util as u; s = u.find_spec("tvm")
print(s.submodule_search_locations[0] if s else "")')
if [[ -z "$tvm_dir" || ! -f "$tvm_dir/libtvm_runtime.so" ]]; then
  echo "build.sh: no tvm package with libtvm_runtime.so found for $python" >&2
  exit 3
fi

mkdir -p "$out_dir"
tmp_lib=$(mktemp "$out_dir/.libtf2tvm_op.so.XXXXXX")
tmp_launcher=$(mktemp "$out_dir/.libtf2tvm_launcher.so.XXXXXX")
tmp_peak=$(mktemp "$out_dir/.tf2tvm_peak.XXXXXX")
log=$(mktemp)
trap 'rm -f "$tmp_lib" "$tmp_launcher" "$tmp_peak" "$log"' EXIT

# The launcher library: TVM's C headers only, linked against nothing but
# libc and libstdc++ (its C API is all that is exported), so the TVM build
# worker loads it beside whatever runtime its tvm package carries.
if ! g++ -O2 -fPIC -shared -Wall -std=c++17 -fvisibility=hidden -pthread \
    -I"$tvm_dir/include" -I"$tvm_dir/dlpack/include" \
    -o "$tmp_launcher" "${launcher_sources[@]}" -ldl \
    >"$log" 2>&1; then
  echo "build.sh: compiling the launcher library failed:" >&2
  cat "$log" >&2
  exit 1
fi
cat "$log" >&2

# The peak program: plain C++, its ISA chosen when it runs.
if ! g++ -O2 -Wall -std=c++17 -pthread -o "$tmp_peak" "$src_dir/peak.cc" >"$log" 2>&1; then
  echo "build.sh: compiling tf2tvm_peak failed:" >&2
  cat "$log" >&2
  exit 1
fi
cat "$log" >&2

# $ORIGIN: the op library finds libtvm_runtime.so in its own folder, so an
# output folder can be moved or deployed as a whole.
# shellcheck disable=SC2086  # the flag strings are word lists
if ! g++ -O2 -fPIC -shared -Wall -Wno-sign-compare \
    $tf_cflags \
    -I"$tvm_dir/include" -I"$tvm_dir/dlpack/include" -I"$tvm_dir/dmlc-core/include" \
    -o "$tmp_lib" "${sources[@]}" \
    $tf_lflags -L"$tvm_dir" -l:libtvm_runtime.so -Wl,-rpath,'$ORIGIN' \
    >"$log" 2>&1; then
  echo "build.sh: compiling the TF2TVMBridgeOp library failed:" >&2
  cat "$log" >&2
  exit 1
fi
# Warnings are worth seeing, but a successful build stays quiet otherwise.
cat "$log" >&2

cp "$tvm_dir/libtvm_runtime.so" "$out_dir/libtvm_runtime.so.tmp"
mv -f "$out_dir/libtvm_runtime.so.tmp" "$out_dir/libtvm_runtime.so"
printf '%s\n' "$tf_record" >"$record.tmp"
mv -f "$record.tmp" "$record"
# The libraries last, so their mtimes mark a complete build.
mv -f "$tmp_peak" "$peak"
chmod 755 "$peak"
mv -f "$tmp_launcher" "$launcher"
chmod 755 "$launcher"
mv -f "$tmp_lib" "$lib"
chmod 755 "$lib"
