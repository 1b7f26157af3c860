"""Builds the tiny TVM libraries that bridge_op_test.py runs.

Imports tvm only: TensorFlow and TVM each carry LLVM and must never share a
process, so the test runs this script as a subprocess.

    TVM_FFI=ctypes TOPHUB_LOCATION=NONE python build_tiny.py OUTDIR [--target T]

Writes OUTDIR/<name>.so for every case below, OUTDIR/weights.npz (the
weights bound into them, for numpy references) and OUTDIR/manifest.json:
{name: {"file", "sha256", "inputs": [{"shape", "dtype"}], "outputs": [...]}}.
Data inputs are named %in0, %in1, ... as the bridge-op contract requires;
weights are other parameters, bound at build time.
"""

import argparse
import hashlib
import json
import os

import numpy as np
import tvm
from tvm import relay

DEFAULT_TARGET = "llvm -mtriple=x86_64-linux-gnu -mcpu=skylake-avx512"
HEADER = '#[version = "0.0.5"]\n'


def weights():
    rng = np.random.default_rng(7)
    return {
        "dense_w": rng.standard_normal((4, 8)).astype("float32"),
        "dense_b": rng.standard_normal(4).astype("float32"),
        "alias_w": rng.standard_normal((4, 8)).astype("float32"),
        "wide_w": rng.standard_normal((256, 128)).astype("float32"),
    }


def dense_relu(batch):
    # relu(x . W^T + b): nn.dense takes W as [units, in].
    return (
        f"""def @main(%in0: Tensor[({batch}, 8), float32], %w: Tensor[(4, 8), float32],
          %b: Tensor[(4), float32]) {{
  %0 = nn.dense(%in0, %w, units=4);
  %1 = nn.bias_add(%0, %b);
  nn.relu(%1)
}}""",
        {"w": "dense_w", "b": "dense_b"},
    )


CASES = {
    "dense_b1": dense_relu(1),
    "dense_b4": dense_relu(4),
    # Two inputs, two outputs (a tuple), one of them bool.
    "two_io": (
        """def @main(%in0: Tensor[(3, 5), float32], %in1: Tensor[(3, 5), float32]) {
  %0 = multiply(%in0, %in1);
  %1 = greater(%in0, %in1);
  (%0, %1)
}""",
        {},
    ),
    # Every dtype the kernel maps, in and out.
    "dtypes": (
        """def @main(%in0: Tensor[(6), int32], %in1: Tensor[(6), int64], %in2: Tensor[(6), int8],
          %in3: Tensor[(6), uint8], %in4: Tensor[(6), float64], %in5: Tensor[(6), float16],
          %in6: Tensor[(6), bool]) {
  (add(%in0, %in0), add(%in1, %in1), add(%in2, %in2), add(%in3, %in3),
   multiply(%in4, %in4), add(%in5, %in5), logical_not(%in6))
}""",
        {},
    ),
    # Big enough for TVM's schedule to emit parallel loops, which the
    # executor runs on the task pool it is given.
    "dense_wide": (
        """def @main(%in0: Tensor[(64, 128), float32], %w: Tensor[(256, 128), float32]) {
  nn.relu(nn.dense(%in0, %w, units=256))
}""",
        {"w": "wide_w"},
    ),
    # Outputs that zero-copy binding gets wrong in TVM's graph executor:
    # a reshape compiled to __nop, an input returned as is, and one value
    # returned twice. The kernel must copy these.
    "aliasing": (
        """def @main(%in0: Tensor[(2, 8), float32], %w: Tensor[(4, 8), float32]) {
  %0 = nn.dense(%in0, %w, units=4);
  %1 = reshape(%0, newshape=[8]);
  %2 = nn.relu(%in0);
  (%1, %in0, %2, %2)
}""",
        {"w": "alias_w"},
    ),
}


def tensor_types(ty):
    fields = ty.fields if isinstance(ty, relay.TupleType) else [ty]
    return [{"shape": [int(d) for d in f.shape], "dtype": f.dtype} for f in fields]


def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def build(out_dir, target):
    os.makedirs(out_dir, exist_ok=True)
    all_weights = weights()
    np.savez(os.path.join(out_dir, "weights.npz"), **all_weights)
    manifest = {}
    for name, (body, bound) in CASES.items():
        mod = relay.transform.InferType()(tvm.relay.parse(HEADER + body))
        main = mod["main"]
        params = {param: all_weights[key] for param, key in bound.items()}
        with tvm.transform.PassContext(opt_level=3):
            lib = relay.build(mod, target=target, params=params)
        path = os.path.join(out_dir, name + ".so")
        lib.export_library(path)
        manifest[name] = {
            "file": name + ".so",
            "sha256": sha256(path),
            "inputs": [
                {"shape": [int(d) for d in p.checked_type.shape], "dtype": p.checked_type.dtype}
                for p in main.params
                if p.name_hint.startswith("in")
            ],
            "outputs": tensor_types(main.checked_type.ret_type),
        }
    with open(os.path.join(out_dir, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir")
    parser.add_argument("--target", default=DEFAULT_TARGET)
    args = parser.parse_args()
    build(args.out_dir, args.target)


if __name__ == "__main__":
    main()
