"""End-to-end test of the TF2TVMBridgeOp library in runtime/.

    /tmp/venvt/bin/python test/runtime/bridge_op_test.py

The interpreter needs tensorflow and tvm. Steps:
  1. runtime/build.sh builds the op library into WORK/out/runtime/ (skipped
     when up to date); the loader is copied beside it, as tf2tvm ships it.
  2. build_tiny.py, in a subprocess that imports only tvm, compiles the tiny
     Relay functions into WORK/out/clusters/tiny/*.so.
  3. executor_check (C++, no TensorFlow) checks SHA-256 and the paths TF
     cannot reach (misaligned buffers).
  4. This process (which never imports tvm: TF and TVM each carry LLVM)
     builds GraphDefs with TF2TVMBridgeOp nodes by hand, runs them and
     compares with numpy; the loader and the no-library error run in fresh
     subprocesses.
WORK is /tmp/tf2tvm-runtime-test unless TF2TVM_TEST_WORK says otherwise.
Prints one line per check; exits 1 if any failed.
"""

import json
import os
import shutil
import subprocess
import sys
import textwrap
import threading

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from checks import run_checks

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
RUNTIME_SRC = os.path.join(REPO, "runtime")
WORK = os.environ.get("TF2TVM_TEST_WORK", "/tmp/tf2tvm-runtime-test")
OUT = os.path.join(WORK, "out")  # laid out like a tf2tvm output folder
RUNTIME_DIR = os.path.join(OUT, "runtime")
TINY_REL = "clusters/tiny"
TINY_DIR = os.path.join(OUT, TINY_REL)
ARTIFACT_DIR_ENV = "TF2TVM_ARTIFACT_DIR"


def tvm_env():
    env = dict(os.environ, TVM_FFI="ctypes", TOPHUB_LOCATION="NONE")
    return env


def tvm_package_dir():
    # Found without importing tvm, which must stay out of this process.
    import importlib.util

    return importlib.util.find_spec("tvm").submodule_search_locations[0]


def prepare():
    prebuilt = os.environ.get("TF2TVM_TEST_PREBUILT")
    if prebuilt:
        # The op library the project set-up already built (build/runtime): reuse it.
        os.makedirs(RUNTIME_DIR, exist_ok=True)
        for name in ("libtf2tvm_op.so", "libtvm_runtime.so"):
            shutil.copy(os.path.join(prebuilt, name), RUNTIME_DIR)
    else:
        subprocess.run(["bash", os.path.join(RUNTIME_SRC, "build.sh"), sys.executable, RUNTIME_DIR], check=True)
    shutil.copy(os.path.join(RUNTIME_SRC, "tf2tvm_runtime.py"), RUNTIME_DIR)
    print("built op library into", RUNTIME_DIR)

    shutil.rmtree(TINY_DIR, ignore_errors=True)
    subprocess.run(
        [sys.executable, os.path.join(HERE, "build_tiny.py"), TINY_DIR],
        check=True,
        env=tvm_env(),
        stdout=subprocess.DEVNULL,
    )
    print("built tiny TVM artifacts into", TINY_DIR)

    tvm_dir = tvm_package_dir()
    checker = os.path.join(WORK, "executor_check")
    sources = [os.path.join(HERE, "executor_check.cc")] + [
        os.path.join(RUNTIME_SRC, f) for f in ("tvm_executor.cc", "parallel_launch.cc", "graph_json.cc", "sha256.cc")
    ]
    subprocess.run(
        [
            "g++",
            "-O1",
            "-std=c++17",
            "-Wall",
            "-I" + RUNTIME_SRC,
            "-I" + os.path.join(tvm_dir, "include"),
            "-I" + os.path.join(tvm_dir, "dlpack", "include"),
            "-o",
            checker,
            *sources,
            "-L" + tvm_dir,
            "-l:libtvm_runtime.so",
            "-Wl,-rpath," + tvm_dir,
        ],
        check=True,
    )
    subprocess.run(
        [
            checker,
            os.path.join(TINY_DIR, "dense_b4.so"),
            os.path.join(TINY_DIR, "aliasing.so"),
            os.path.join(TINY_DIR, "dense_wide.so"),
        ],
        check=True,
    )


# ---------------------------------------------------------------- TF side

tf = None  # imported by main() after the tvm-only steps
MANIFEST = WEIGHTS = None
RNG = np.random.default_rng(0)


def load_tensorflow():
    global tf, MANIFEST, WEIGHTS
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow

    tf = tensorflow
    tf.load_op_library(os.path.join(RUNTIME_DIR, "libtf2tvm_op.so"))
    with open(os.path.join(TINY_DIR, "manifest.json")) as f:
        MANIFEST = json.load(f)
    WEIGHTS = dict(np.load(os.path.join(TINY_DIR, "weights.npz")))


def bridge_graph(
    names,
    paths=None,
    digests=None,
    artifact_dir=None,
    placeholder_shapes=None,
    output_shapes=None,
    cluster="tiny_cluster",
):
    """A GraphDef: placeholders x0.. feeding one TF2TVMBridgeOp node "bridge".

    `names` are manifest entries, one per artifact (all with the same
    signature). Paths default to absolute ones; digests, shapes and the
    artifact dir can be overridden to provoke errors.
    """
    specs = [MANIFEST[n] for n in names]
    paths = paths or [os.path.join(TINY_DIR, MANIFEST[n]["file"]) for n in names]
    graph_def = tf.compat.v1.GraphDef()
    inputs = specs[0]["inputs"]
    for i, spec in enumerate(inputs):
        ph = graph_def.node.add(name=f"x{i}", op="Placeholder")
        ph.attr["dtype"].type = tf.as_dtype(spec["dtype"]).as_datatype_enum
        shape = placeholder_shapes[i] if placeholder_shapes else spec["shape"]
        ph.attr["shape"].shape.CopyFrom(tf.TensorShape(shape).as_proto())

    node = graph_def.node.add(name="bridge", op="TF2TVMBridgeOp")
    node.input.extend(f"x{i}" for i in range(len(inputs)))
    attr = node.attr
    attr["Tin"].list.type.extend(tf.as_dtype(s["dtype"]).as_datatype_enum for s in inputs)
    attr["Tout"].list.type.extend(tf.as_dtype(s["dtype"]).as_datatype_enum for s in specs[0]["outputs"])
    attr["cluster"].s = cluster.encode()
    attr["artifacts"].list.s.extend(p.encode() for p in paths)
    attr["artifact_sha256"].list.s.extend(d.encode() for d in (digests or [s["sha256"] for s in specs]))
    for key, field in (("input_shapes", "inputs"), ("output_shapes", "outputs")):
        shapes = [t["shape"] for s in specs for t in s[field]]
        if key == "output_shapes" and output_shapes:
            shapes = output_shapes
        attr[key].list.shape.extend(tf.TensorShape(s).as_proto() for s in shapes)
    if artifact_dir is not None:
        attr["artifact_dir"].s = artifact_dir.encode()
    attr["tvm_version"].s = b"0.16.dev0"
    attr["target"].s = b"llvm -mtriple=x86_64-linux-gnu -mcpu=skylake-avx512"
    return graph_def


class Runner:
    """A session over an imported GraphDef; run() feeds x0.. and fetches every output."""

    def __init__(self, graph_def, config=None):
        self.graph = tf.Graph()
        with self.graph.as_default():
            tf.compat.v1.import_graph_def(graph_def, name="")
        self.bridge = self.graph.get_operation_by_name("bridge")
        self.session = tf.compat.v1.Session(graph=self.graph, config=config)

    def run(self, *inputs):
        feeds = {f"x{i}:0": x for i, x in enumerate(inputs)}
        return self.session.run(list(self.bridge.outputs), feeds)


def run_once(graph_def, *inputs):
    return Runner(graph_def).run(*inputs)


def dense_ref(x):
    return np.maximum(x @ WEIGHTS["dense_w"].T + WEIGHTS["dense_b"], 0)


def expect_error(error_type, fn, *needles):
    """Runs fn, expecting error_type with every needle in its message; prints the kernel's line."""
    try:
        fn()
    except error_type as e:
        for needle in needles:
            assert needle in e.message, f"{needle!r} not in: {e.message}"
        # Session errors wrap the kernel's message in lines of their own.
        line = next((ln for ln in e.message.splitlines() if "TF2TVMBridgeOp '" in ln), e.message)
        print("   ", type(e).__name__ + ":", line.strip())
        return e.message
    raise AssertionError(f"expected {error_type.__name__}")


class EnvVar:
    """Sets (or, with None, removes) an environment variable for a block."""

    def __init__(self, name, value):
        self.name, self.value = name, value

    def __enter__(self):
        self.saved = os.environ.pop(self.name, None)
        if self.value is not None:
            os.environ[self.name] = self.value

    def __exit__(self, *exc):
        os.environ.pop(self.name, None)
        if self.saved is not None:
            os.environ[self.name] = self.saved


# ---------------------------------------------------------------- cases


def test_single_input_output():
    runner = Runner(bridge_graph(["dense_b1"]))
    assert runner.bridge.outputs[0].shape.as_list() == [1, 4], "shape function"
    for _ in range(3):  # later calls reuse the executor
        x = RNG.standard_normal((1, 8)).astype(np.float32)
        (y,) = runner.run(x)
        np.testing.assert_allclose(y, dense_ref(x), rtol=1e-5, atol=1e-5)


def test_two_inputs_two_outputs():
    runner = Runner(bridge_graph(["two_io"]))
    a = RNG.standard_normal((3, 5)).astype(np.float32)
    b = RNG.standard_normal((3, 5)).astype(np.float32)
    product, greater = runner.run(a, b)
    np.testing.assert_array_equal(product, a * b)
    assert greater.dtype == np.bool_
    np.testing.assert_array_equal(greater, a > b)


def test_all_dtypes():
    ints = lambda dtype, lo, hi: RNG.integers(lo, hi, 6).astype(dtype)  # noqa: E731
    inputs = [
        ints(np.int32, -1000, 1000),
        ints(np.int64, -(10**12), 10**12),
        ints(np.int8, -60, 60),
        ints(np.uint8, 0, 120),
        RNG.standard_normal(6),
        RNG.standard_normal(6).astype(np.float16),
        RNG.integers(0, 2, 6).astype(np.bool_),
    ]
    outputs = run_once(bridge_graph(["dtypes"]), *inputs)
    expected = [x + x for x in inputs[:4]] + [inputs[4] * inputs[4], inputs[5] + inputs[5], ~inputs[6]]
    for got, want in zip(outputs, expected, strict=True):
        assert got.dtype == want.dtype, (got.dtype, want.dtype)
        np.testing.assert_array_equal(got, want)


def test_artifact_selected_by_batch_size():
    runner = Runner(bridge_graph(["dense_b1", "dense_b4"], placeholder_shapes=[[None, 8]]))
    assert runner.bridge.outputs[0].shape.as_list() == [None, 4], "merged shape"
    for batch in (1, 4, 4, 1):
        x = RNG.standard_normal((batch, 8)).astype(np.float32)
        (y,) = runner.run(x)
        np.testing.assert_allclose(y, dense_ref(x), rtol=1e-5, atol=1e-5)


def test_shape_without_artifact():
    runner = Runner(bridge_graph(["dense_b1", "dense_b4"], placeholder_shapes=[[None, 8]]))
    expect_error(
        tf.errors.InvalidArgumentError,
        lambda: runner.run(np.zeros((3, 8), np.float32)),
        "tiny_cluster",
        "[3,8]",
        "([1,8]), ([4,8])",
    )


def test_bad_sha256():
    graph_def = bridge_graph(["dense_b1"], digests=["00" * 32])
    expect_error(
        tf.errors.DataLossError,
        lambda: run_once(graph_def, np.zeros((1, 8), np.float32)),
        "sha256",
        MANIFEST["dense_b1"]["sha256"],
        "tiny_cluster",
    )


def relative_paths(names):
    return [f"{TINY_REL}/{MANIFEST[n]['file']}" for n in names]


def test_relative_path_without_base():
    graph_def = bridge_graph(["dense_b1"], paths=relative_paths(["dense_b1"]))
    with EnvVar(ARTIFACT_DIR_ENV, None):
        expect_error(
            tf.errors.FailedPreconditionError,
            lambda: run_once(graph_def, np.zeros((1, 8), np.float32)),
            ARTIFACT_DIR_ENV,
            "tf2tvm_runtime.py",
            "tiny_cluster",
        )


def test_relative_path_via_env():
    graph_def = bridge_graph(["dense_b1"], paths=relative_paths(["dense_b1"]))
    x = RNG.standard_normal((1, 8)).astype(np.float32)
    with EnvVar(ARTIFACT_DIR_ENV, OUT):
        (y,) = run_once(graph_def, x)
    np.testing.assert_allclose(y, dense_ref(x), rtol=1e-5, atol=1e-5)


def test_relative_path_via_attr():
    graph_def = bridge_graph(["dense_b1"], paths=relative_paths(["dense_b1"]), artifact_dir=OUT)
    x = RNG.standard_normal((1, 8)).astype(np.float32)
    with EnvVar(ARTIFACT_DIR_ENV, "/nonexistent"):  # the attr takes precedence
        (y,) = run_once(graph_def, x)
    np.testing.assert_allclose(y, dense_ref(x), rtol=1e-5, atol=1e-5)


def test_missing_artifact_file():
    graph_def = bridge_graph(["dense_b1"], paths=["clusters/none.so"], artifact_dir=OUT)
    expect_error(
        tf.errors.NotFoundError,
        lambda: run_once(graph_def, np.zeros((1, 8), np.float32)),
        os.path.join(OUT, "clusters/none.so"),
    )


def test_node_disagrees_with_artifact():
    graph_def = bridge_graph(["dense_b1"], output_shapes=[[1, 5]])
    expect_error(
        tf.errors.InternalError,
        lambda: run_once(graph_def, np.zeros((1, 8), np.float32)),
        "out0 is float32[1,4] in the artifact but float32[1,5]",
    )


def aliasing_check():
    # Outputs: reshape(dense) (a __nop alias), in0 itself, relu(in0) twice.
    runner = Runner(bridge_graph(["aliasing"]))
    for _ in range(3):
        x = RNG.standard_normal((2, 8)).astype(np.float32)
        flat, same, relu_a, relu_b = runner.run(x)
        np.testing.assert_allclose(flat, (x @ WEIGHTS["alias_w"].T).reshape(8), rtol=1e-5, atol=1e-5)
        np.testing.assert_array_equal(same, x)
        np.testing.assert_array_equal(relu_a, np.maximum(x, 0))
        np.testing.assert_array_equal(relu_b, np.maximum(x, 0))


def test_aliased_outputs():
    aliasing_check()


def test_zero_copy_disabled():
    with EnvVar("TF2TVM_ZERO_COPY", "0"):  # read when an executor is created
        test_single_input_output()
        aliasing_check()


def test_concurrent_runs():
    # One kernel, several threads, both artifacts: first loads race, then
    # runs on one executor must be serialised.
    runner = Runner(bridge_graph(["dense_b1", "dense_b4"], placeholder_shapes=[[None, 8]]))
    failures = []

    def worker(seed):
        rng = np.random.default_rng(seed)
        try:
            for step in range(25):
                x = rng.standard_normal((1 if (seed + step) % 2 else 4, 8)).astype(np.float32)
                (y,) = runner.run(x)
                np.testing.assert_allclose(y, dense_ref(x), rtol=1e-5, atol=1e-5)
        except Exception as e:  # reported by the main thread
            failures.append(e)

    threads = [threading.Thread(target=worker, args=(seed,)) for seed in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures, failures


def test_parallel_loops_on_intra_op_threads():
    # dense_wide has parallel loops; they run on TF's intra-op pool split
    # into that many tasks, or into TF2TVM_NUM_THREADS tasks. Kernels read
    # the variable when a session creates them, i.e. at the first run.
    x = RNG.standard_normal((64, 128)).astype(np.float32)
    want = np.maximum(x @ WEIGHTS["wide_w"].T, 0)
    results = []
    for intra, env in ((1, None), (2, None), (2, "3"), (1, "2")):
        config = tf.compat.v1.ConfigProto(intra_op_parallelism_threads=intra, inter_op_parallelism_threads=1)
        with EnvVar("TF2TVM_NUM_THREADS", env):
            runner = Runner(bridge_graph(["dense_wide"]), config)
            (y,) = runner.run(x)
        np.testing.assert_allclose(y, want, rtol=1e-4, atol=1e-4)
        for _ in range(3):
            np.testing.assert_array_equal(runner.run(x)[0], y)
        results.append(y)
    for y in results[1:]:
        np.testing.assert_array_equal(y, results[0])


def test_artifact_threads():
    # artifact_threads caps an artifact's tasks per parallel loop (tf2tvm
    # writes 1 for artifacts too small for a second thread to pay): the
    # results are the same bits as without the cap, on any pool size.
    x = RNG.standard_normal((64, 128)).astype(np.float32)
    config = tf.compat.v1.ConfigProto(intra_op_parallelism_threads=2, inter_op_parallelism_threads=1)
    (want,) = Runner(bridge_graph(["dense_wide"]), config).run(x)
    for cap in (1, 0, 3):
        graph_def = bridge_graph(["dense_wide"])
        graph_def.node[-1].attr["artifact_threads"].list.i.append(cap)
        np.testing.assert_array_equal(Runner(graph_def, config).run(x)[0], want)
    # One value per artifact, each 0 (no cap) or a thread count.
    for values, needle in (([1, 1], "1 artifacts but 2 artifact_threads values"), ([-1], "artifact_threads value -1")):
        graph_def = bridge_graph(["dense_wide"])
        graph_def.node[-1].attr["artifact_threads"].list.i.extend(values)
        expect_error(tf.errors.InvalidArgumentError, lambda g=graph_def: Runner(g).run(x), needle)


def test_bad_thread_count():
    with EnvVar("TF2TVM_NUM_THREADS", "two"):
        runner = Runner(bridge_graph(["dense_b1"]))
        expect_error(
            tf.errors.InvalidArgumentError,
            lambda: runner.run(np.zeros((1, 8), np.float32)),
            "TF2TVM_NUM_THREADS='two' is not a thread count",
        )


def write_model_pb():
    """OUT/model.pb as tf2tvm would write it: relative artifact paths, no artifact_dir."""
    names = ["dense_b1", "dense_b4"]
    graph_def = bridge_graph(names, paths=relative_paths(names), placeholder_shapes=[[None, 8]])
    with open(os.path.join(OUT, "model.pb"), "wb") as f:
        f.write(graph_def.SerializeToString())


def run_python(code):
    """Runs code in a fresh interpreter, away from this process's op library and env."""
    env = {k: v for k, v in os.environ.items() if k != ARTIFACT_DIR_ENV}
    env["TF_CPP_MIN_LOG_LEVEL"] = "2"
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], env=env, cwd="/", capture_output=True, text=True
    )


def test_loader():
    write_model_pb()
    x = RNG.standard_normal((4, 8)).astype(np.float32)
    np.save(os.path.join(WORK, "x.npy"), x)
    result = run_python(f"""
        import json, sys
        import numpy as np
        sys.path.insert(0, {RUNTIME_DIR!r})
        import tf2tvm_runtime
        import tensorflow as tf
        graph_def = tf2tvm_runtime.load({OUT!r})
        bridge = [n for n in graph_def.node if n.op == "TF2TVMBridgeOp"][0]
        with tf.Graph().as_default() as g:
            tf.compat.v1.import_graph_def(graph_def, name="")
            with tf.compat.v1.Session() as s:
                y = s.run("bridge:0", {{"x0:0": np.load({os.path.join(WORK, "x.npy")!r})}})
        print(json.dumps({{"artifact_dir": bridge.attr["artifact_dir"].s.decode(),
                          "y": y.tolist()}}))
        """)
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert answer["artifact_dir"] == OUT, answer["artifact_dir"]
    np.testing.assert_allclose(np.array(answer["y"], np.float32), dense_ref(x), rtol=1e-5, atol=1e-5)


def test_import_without_op_library():
    write_model_pb()
    result = run_python(f"""
        import tensorflow as tf
        graph_def = tf.compat.v1.GraphDef()
        graph_def.ParseFromString(open({os.path.join(OUT, "model.pb")!r}, "rb").read())
        try:
            with tf.Graph().as_default():
                tf.compat.v1.import_graph_def(graph_def, name="")
        except Exception as e:
            print(type(e).__name__ + ": " + str(e))
        else:
            print("imported")
        """)
    # TensorFlow 2.18.1 raises tf.errors.NotFoundError (not ValueError), one line:
    #   Op type not registered 'TF2TVMBridgeOp' in binary running on vm. Make
    #   sure the Op and Kernel are registered in the binary running in this
    #   process. Note that if you are loading a saved graph which used ops from
    #   tf.contrib (e.g. `tf.contrib.resampler`), accessing should be done
    #   before importing the graph, as contrib ops are lazily registered when
    #   the module is first accessed.
    message = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else result.stderr
    assert "Op type not registered 'TF2TVMBridgeOp'" in message, message
    print("   ", message[:110] + "...")


def main():
    prepare()
    load_tensorflow()
    return run_checks(globals())


if __name__ == "__main__":
    sys.exit(main())
