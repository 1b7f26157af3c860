"""The bridge op's fallback to its cluster's TensorFlow subgraph, on a real
tf2tvm output folder (test/runtime/fallback.test.ts compiles it).

    python test/runtime/fallback_test.py OUT MODEL reasons
    python test/runtime/fallback_test.py OUT MODEL run BATCH [tvm|fallback]

`reasons` forces every fallback reason (an unseen batch, a removed .so, a
truncated .so, a CPU feature made to look missing, a TVM run error) and
checks each result against TensorFlow on the original graph, the counts, the
log, and the error each gives with TF2TVM_FALLBACK=0; in a TF1 session at
inter_op_parallelism_threads=1 and under TF2 (tf.function over
wrap_function(...).prune(...), Grappler on). `run` runs one batch and checks
which side ran it. Prints one line per check; exits 1 if any failed.
"""

import os
import shutil
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from checks import run_checks

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "1")
import tensorflow as tf

OUT, MODEL = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
sys.path.insert(0, os.path.join(OUT, "runtime"))
import tf2tvm_runtime  # noqa: E402

FEED, FETCH = "x:0", "softmax:0"
ORIGINAL = tf.compat.v1.GraphDef()
with open(MODEL, "rb") as f:
    ORIGINAL.ParseFromString(f.read())


class EnvVar:
    """Sets (or, with None, removes) environment variables for a block."""

    def __init__(self, **values):
        self.values = values

    def __enter__(self):
        self.saved = {k: os.environ.get(k) for k in self.values}
        for k, v in self.values.items():
            os.environ.pop(k, None)
            if v is not None:
                os.environ[k] = v

    def __exit__(self, *exc):
        for k, v in self.saved.items():
            os.environ.pop(k, None)
            if v is not None:
                os.environ[k] = v


def inputs(batch, seed=0):
    return np.random.default_rng(seed + batch).standard_normal((batch, 16, 16, 3)).astype(np.float32) * 3


class Session:
    """A TF1 session over a GraphDef at inter-op 1 (a blocked inter-op thread would hang it)."""

    def __init__(self, graph_def):
        self.graph = tf.Graph()
        with self.graph.as_default():
            tf.compat.v1.import_graph_def(graph_def, name="")
        config = tf.compat.v1.ConfigProto(inter_op_parallelism_threads=1, intra_op_parallelism_threads=2)
        self.session = tf.compat.v1.Session(graph=self.graph, config=config)

    def run(self, x):
        return self.session.run(FETCH, {FEED: x})


REFERENCE = Session(ORIGINAL)


def check_close(got, x):
    want = REFERENCE.run(x)
    assert got.shape == want.shape, (got.shape, want.shape)
    err = float(np.max(np.abs(got - want)))
    assert err <= 1e-5, f"max |diff| {err}"
    assert float(np.std(want)) > 1e-3, "the outputs do not vary; the check would prove little"


def copy_out():
    """A copy of OUT to damage; the loader sets artifact_dir to it."""
    dest = os.path.join(tempfile.mkdtemp(prefix="tf2tvm-fallback-"), "out")
    shutil.copytree(OUT, dest)
    return dest


def artifact(out, batch):
    return os.path.join(out, "clusters", "cluster_0", f"{batch}x16x16x3.so")


def counts():
    return tf2tvm_runtime.fallback_counts()


def expect_fallback(out, batch, reason, env=None):
    """Runs OUT at `batch`: the result matches TF, one call counted for `reason`;
    with TF2TVM_FALLBACK=0 it fails naming the cluster."""
    x = inputs(batch)
    tf2tvm_runtime.reset_fallback_counts()
    with EnvVar(**(env or {})):
        session = Session(tf2tvm_runtime.load(out))
        check_close(session.run(x), x)
        check_close(session.run(x), x)  # the artifact is not retried
    got = counts()
    assert got == {"cluster_0": {reason: 2}}, got
    with EnvVar(TF2TVM_FALLBACK="0", **(env or {})):
        session = Session(tf2tvm_runtime.load(out))
        try:
            session.run(x)
        except tf.errors.OpError as e:
            assert "cluster 'cluster_0'" in e.message, e.message
            assert "TF2TVM_FALLBACK=0" in e.message, e.message
            line = next(ln for ln in e.message.splitlines() if "cluster 'cluster_0'" in ln)
            print("    without fallback:", type(e).__name__ + ":", line.strip()[:150])
        else:
            raise AssertionError("TF2TVM_FALLBACK=0 did not fail")
    assert counts() == {"cluster_0": {reason: 2}}, "a failed call counted"


def test_compiled_batches_run_tvm():
    tf2tvm_runtime.reset_fallback_counts()
    session = Session(tf2tvm_runtime.load(OUT))
    for batch in (1, 4):
        check_close(session.run(inputs(batch)), inputs(batch))
    assert counts() == {}, counts()


def test_unseen_batch():
    expect_fallback(OUT, 2, "no-artifact")


def test_removed_artifact():
    out = copy_out()
    os.remove(artifact(out, 1))
    expect_fallback(out, 1, "missing")


def test_truncated_artifact():
    out = copy_out()
    path = artifact(out, 1)
    with open(path, "r+b") as f:
        f.truncate(os.path.getsize(path) // 2)
    expect_fallback(out, 1, "sha256")


def test_missing_cpu_feature():
    bridge = next(n for n in tf2tvm_runtime.load(OUT).node if n.op == "TF2TVMBridgeOp")
    features = [s.decode() for s in bridge.attr["required_cpu_features"].list.s]
    assert features, "the target needs no CPU feature: nothing to hide"
    expect_fallback(OUT, 1, "cpu-features", {"TF2TVM_TEST_HIDE_CPU_FEATURES": features[-1]})


def test_tvm_run_error():
    expect_fallback(OUT, 4, "run-error", {"TF2TVM_TEST_FAIL_RUN": "cluster_0"})


def test_tf2_function_pruned():
    # TF2: the rewritten GraphDef in a wrap_function, pruned to its feed and
    # fetch, called from a tf.function (Grappler runs on function graphs).
    graph_def = tf2tvm_runtime.load(OUT)
    wrapped = tf.compat.v1.wrap_function(lambda: tf.compat.v1.import_graph_def(graph_def, name=""), [])
    pruned = wrapped.prune(
        feeds=wrapped.graph.get_tensor_by_name(FEED), fetches=wrapped.graph.get_tensor_by_name(FETCH)
    )
    run = tf.function(lambda x: pruned(x))
    tf2tvm_runtime.reset_fallback_counts()
    for batch in (4, 2, 3, 2):
        x = inputs(batch)
        check_close(run(tf.constant(x)).numpy(), x)
    got = counts()
    assert set(got) == {"cluster_0"} and set(got["cluster_0"]) == {"no-artifact"}, got
    assert got["cluster_0"]["no-artifact"] >= 3, got


def test_saved_model_round_trip():
    # The rewritten graph saved as a SavedModel and loaded back keeps its
    # native functions: an unseen batch still falls back, a compiled one runs in TVM.
    graph_def = tf2tvm_runtime.load(OUT)
    wrapped = tf.compat.v1.wrap_function(lambda: tf.compat.v1.import_graph_def(graph_def, name=""), [])
    pruned = wrapped.prune(
        feeds=wrapped.graph.get_tensor_by_name(FEED), fetches=wrapped.graph.get_tensor_by_name(FETCH)
    )
    spec = tf.TensorSpec([None] + list(inputs(1).shape[1:]), tf.float32)
    module = tf.Module()
    module.run = tf.function(lambda x: pruned(x), input_signature=[spec])
    folder = tempfile.mkdtemp(prefix="tf2tvm-savedmodel-")
    try:
        tf.saved_model.save(module, folder)
        loaded = tf.saved_model.load(folder)
        tf2tvm_runtime.reset_fallback_counts()
        for batch in (4, 2):
            x = inputs(batch)
            check_close(loaded.run(tf.constant(x)).numpy(), x)
        got = counts()
        assert got == {"cluster_0": {"no-artifact": 1}}, got
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_cost():
    # Not a check: what a fallback call costs against the original graph.
    batch = 2
    x = inputs(batch)
    session = Session(tf2tvm_runtime.load(OUT))
    t0 = time.perf_counter()
    session.run(x)
    first = time.perf_counter() - t0

    def per_call(s, n=50):
        s.run(x)
        t = time.perf_counter()
        for _ in range(n):
            s.run(x)
        return (time.perf_counter() - t) / n

    print(
        f"    fallback at batch {batch}: first call {first * 1e3:.1f} ms; "
        f"per call {per_call(session) * 1e6:.0f} us, original graph {per_call(REFERENCE) * 1e6:.0f} us"
    )


def main():
    mode = sys.argv[3]
    if mode == "run":
        batch, side = int(sys.argv[4]), sys.argv[5]
        tf2tvm_runtime.reset_fallback_counts()
        check_close(Session(tf2tvm_runtime.load(OUT)).run(inputs(batch)), inputs(batch))
        got = counts()
        assert (got == {}) == (side == "tvm"), got
        print("ok   run", batch, side, got)
        return 0
    return run_checks(globals())


if __name__ == "__main__":
    sys.exit(main())
