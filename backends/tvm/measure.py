"""How `--tune` times a candidate: as the bridge op will run it.

This TVM's runtime runs every parallel loop on one thread, while the bridge
op runs them on TensorFlow's intra-op threads through its own launcher
(runtime/parallel_launch.cc). A schedule that is best on one core is not
necessarily best on several, so candidates are timed through that same
launcher: the launcher library (runtime/launcher.cc, built by
runtime/build.sh beside the op library as libtf2tvm_launcher.so) runs the
launcher on a plain thread pool. Each candidate is built, exported to a
temporary .so, loaded, its __TVMBackendParallelLaunch redirected to the
launcher, and timed with time_evaluator with its loops split into as many
tasks as the bridge op will use.

The thread count is the bridge op's (docs/bridge-op.md "Threads"):
TF2TVM_NUM_THREADS if set, else the size TensorFlow gives its intra-op pool
by default (TF_NUM_INTRAOP_THREADS if set, else the CPUs this process may
run on); a job may name it instead.

RemoteMeasurer times the same way on a farm: candidates are built and
exported here and timed in a session of backends/tvm/rpc_server.py (found
through TVM's RPC tracker), whose load_module redirects the loaded module to
the server's launcher and whose tf2tvm.set_threads sets the task count.
"""

import concurrent.futures
import ctypes
import os
import shutil
import tempfile

import numpy as np
import tvm
from tvm import autotvm
from tvm.contrib import graph_executor

LAUNCHER_LIBRARY = "libtf2tvm_launcher.so"
# The bridge op's override of its task count (bridge_op.cc's kNumThreadsEnv).
NUM_THREADS_ENV = "TF2TVM_NUM_THREADS"
_MAX_THREADS = 4096

# time_evaluator settings per candidate: enough to rank, short enough to try many.
_MIN_REPEAT_MS = 20
_REPEAT = 3


class LauncherMissing(RuntimeError):
    """The launcher library cannot be loaded: tuning would time candidates on one thread."""


def default_launcher_path():
    """Where runtime/build.sh puts the library in a checkout: build/runtime beside the op library."""
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    return os.path.join(root, "build", "runtime", LAUNCHER_LIBRARY)


def _thread_count(value, what):
    try:
        n = int(value)
    except (TypeError, ValueError):
        n = 0
    if isinstance(value, bool) or not 1 <= n <= _MAX_THREADS or str(value).strip() != str(n):
        raise ValueError(f"{what}={value!r} is not a thread count (an integer from 1 to {_MAX_THREADS})")
    return n


def tuning_threads(requested=None, environ=None):
    """The task count of the bridge op's parallel loops, which candidates are timed with.

    `requested` (a job's "threads") wins; then TF2TVM_NUM_THREADS, as in the
    bridge op; then TensorFlow's default intra-op pool size:
    TF_NUM_INTRAOP_THREADS when it is a positive integer, else the number of
    CPUs this process may run on (TensorFlow's port::MaxParallelism: the
    scheduling affinity, not os.cpu_count())."""
    env = os.environ if environ is None else environ
    if requested is not None:
        return _thread_count(requested, "threads")
    value = env.get(NUM_THREADS_ENV, "")
    if value != "":
        return _thread_count(value, NUM_THREADS_ENV)
    try:
        intra = int(env.get("TF_NUM_INTRAOP_THREADS", ""))
    except ValueError:
        intra = 0
    if intra > 0:
        return intra
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


class Launcher:
    """The launcher library through ctypes (its C API is runtime/launcher.cc's header)."""

    def __init__(self, path=None):
        self.path = os.path.abspath(path or default_launcher_path())
        hint = (
            "it is built by runtime/build.sh beside the op library (scripts/setup.sh does so); "
            "without it candidates would be timed on one thread, not as the bridge op runs them"
        )
        if not os.path.isfile(self.path):
            raise LauncherMissing(f"tuning needs the launcher library {self.path}, which does not exist: {hint}")
        try:
            lib = ctypes.CDLL(self.path)
            self._redirect = lib.tf2tvm_launcher_redirect
            self._set_threads = lib.tf2tvm_launcher_set_threads
            self._threads = lib.tf2tvm_launcher_threads
        except (OSError, AttributeError) as exc:
            raise LauncherMissing(f"tuning cannot load the launcher library {self.path} ({exc}): {hint}") from exc
        self._redirect.argtypes = [ctypes.c_char_p]
        self._redirect.restype = ctypes.c_int
        self._set_threads.argtypes = [ctypes.c_int]
        self._set_threads.restype = ctypes.c_int
        self._threads.argtypes = []
        self._threads.restype = ctypes.c_int

    def redirect(self, so_path):
        """Points the parallel loops of the library loaded from `so_path` at the
        launcher. Returns "redirected", "no-parallel-loop" or "barrier" (the
        code uses TVMBackendParallelBarrier, so the bridge op also leaves it to
        the runtime's launcher: one thread); raises if it is not loaded."""
        status = self._redirect(os.fsencode(so_path))
        if status == -1:
            raise RuntimeError(f"{so_path} is not loaded in this process: nothing to redirect")
        return {0: "redirected", 1: "no-parallel-loop", 2: "barrier"}[status]

    def set_threads(self, n):
        """The calling thread's parallel loops then run as n tasks (1: inline)."""
        if self._set_threads(int(n)) != 0:
            raise ValueError(f"not a thread count: {n}")

    def threads(self):
        return self._threads()


def random_args(args, rng):
    arrays = []
    for t in args:
        shape = [int(d) for d in t.shape]
        if t.dtype.startswith("float"):
            data = rng.uniform(-1, 1, size=shape).astype(t.dtype)
        else:
            data = np.zeros(shape, dtype=t.dtype)
        arrays.append(tvm.nd.array(data))
    return arrays


class Measurer:
    """Times candidates on `threads` tasks per parallel loop through the launcher."""

    def __init__(self, launcher=None, threads=None):
        self.launcher = launcher if isinstance(launcher, Launcher) else Launcher(launcher)
        self.threads = tuning_threads(threads)

    def _load(self, build, folder, name):
        path = os.path.join(folder, f"{name}.so")
        build.export_library(path)
        module = tvm.runtime.load_module(path)
        self.launcher.redirect(path)
        return module

    def _time(self, module, arrays, entry=None):
        """Median seconds per call on `threads` tasks; the first repeat warms up and is dropped."""
        self.launcher.set_threads(self.threads)
        try:
            timer = module.time_evaluator(
                entry or module.entry_name, tvm.cpu(), number=1, repeat=_REPEAT + 1, min_repeat_ms=_MIN_REPEAT_MS
            )
            return float(np.median(timer(*arrays).results[1:]))
        finally:
            self.launcher.set_threads(1)

    def time_module(self, build, arrays, entry=None):
        """Median seconds per call of the module `build` returns (a tvm.build
        result), run the way the bridge op runs it: exported, loaded,
        redirected, its loops on `threads` tasks."""
        folder = tempfile.mkdtemp(prefix="tf2tvm-measure-")
        try:
            module = self._load(build, folder, "candidate")
            try:
                return self._time(module, arrays, entry)
            finally:
                del module
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def _build(self, task, config, target):
        """The task built with `config` as the module will run it: with
        AutoTVM's in_tuning set, the x86 templates take pre-packed kernels
        (packed once at build time in the real module) instead of repacking
        them inside the timed function."""
        scope = autotvm.GLOBAL_SCOPE
        saved = scope.in_tuning
        scope.in_tuning = True
        try:
            with target:
                sch, args = task.instantiate(config)
                return tvm.build(sch, args, target=target), args
        finally:
            scope.in_tuning = saved

    def compare(self, task, a, b, target, rng, rounds=5):
        """Seconds per call of configurations a and b, timed in alternation on
        the same inputs (`rounds` each): the fair comparison a decision needs
        on a noisy machine. None if either does not build or run."""
        folder = tempfile.mkdtemp(prefix="tf2tvm-compare-")
        try:
            built_a, args = self._build(task, a, target)
            built_b, _ = self._build(task, b, target)
            arrays = random_args(args, rng)
            mod_a, mod_b = self._load(built_a, folder, "a"), self._load(built_b, folder, "b")
            costs_a, costs_b = [], []
            for _ in range(rounds):
                costs_a.append(self._time(mod_a, arrays))
                costs_b.append(self._time(mod_b, arrays))
            return costs_a, costs_b
        except Exception:  # a configuration that does not build or run cannot win
            return None
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def compare_builds(self, mod, params, built_a, built_b, rng, rounds=5):
        """Seconds per call of two builds (relay.build results) of one module,
        timed in alternation on the same inputs, `rounds` each, on the
        launcher: the verdict on a whole artifact."""
        folder = tempfile.mkdtemp(prefix="tf2tvm-compare-builds-")
        try:
            mod = tvm.relay.transform.InferType()(mod)
            inputs = {}
            for p in mod["main"].params:
                if p.name_hint in params:
                    continue
                ty = p.checked_type
                shape = [int(d) for d in ty.shape]
                dtype = str(ty.dtype)
                inputs[p.name_hint] = (
                    rng.uniform(-1, 1, size=shape).astype(dtype)
                    if dtype.startswith("float")
                    else np.zeros(shape, dtype)
                )
            runs = []
            for name, built in (("a", built_a), ("b", built_b)):
                path = os.path.join(folder, f"{name}.so")
                built.export_library(path)
                lib = tvm.runtime.load_module(path)
                self.launcher.redirect(path)
                gm = graph_executor.GraphModule(lib["default"](tvm.cpu()))
                for k, v in inputs.items():
                    gm.set_input(k, v)
                runs.append((lib, gm))
            costs = ([], [])
            for r in range(rounds + 1):
                for i, (_lib, gm) in enumerate(runs):
                    seconds = self._time(gm.module, [], "run")
                    if r > 0:  # the first round warms both up
                        costs[i].append(seconds)
            return costs
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def measure(self, task, config, target, rng):
        """Median seconds per call of the AutoTVM task built with `config`;
        None if it does not build or run."""
        try:
            func, args = self._build(task, config, target)
            return self.time_module(func, random_args(args, rng))
        except Exception:  # a candidate that does not build or run is just a bad candidate
            return None

    def measure_batch(self, task, configs, target, rng):
        """measure() of each configuration, yielded in order as each is done:
        here one after the other (one machine times one candidate at a time)."""
        for config in configs:
            yield self.measure(task, config, target, rng)


def parse_tracker(text):
    """HOST:PORT of an RPC tracker -> (host, port)."""
    host, sep, port = str(text).rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"rpc tracker {text!r} is not HOST:PORT")
    return host, int(port)


class RemoteMeasurer(Measurer):
    """Measurer's interface, timing on the servers registered under `key` with
    the RPC tracker `tracker` (HOST:PORT): backends/tvm/rpc_server.py, whose
    sessions load a module with its parallel loops redirected to their
    launcher. Candidates are built and exported here; each measurement is one
    session (the tracker hands out a free server), and a batch of the search's
    candidates is timed on as many servers at once as were free when the tune
    started (measure_batch). The machines must be identical to
    the deployment target (docs/performance.md "Tuning on a farm")."""

    def __init__(self, tracker, key, threads=None, priority=1, session_timeout=120):
        self.tracker = parse_tracker(tracker)
        if not isinstance(key, str) or not key:
            raise ValueError("an rpc key must be a non-empty string")
        self.key = key
        self.threads = tuning_threads(threads)
        self.priority = priority
        self.session_timeout = session_timeout
        # Fails before any work when the tracker cannot be reached or has no server under the key.
        queues = tvm.rpc.connect_tracker(*self.tracker).summary().get("queue_info", {})
        if key not in queues:
            raise RuntimeError(
                f"no server is registered under key {key!r} with the rpc tracker {tracker} "
                f"(registered: {', '.join(sorted(queues)) or 'none'}); start backends/tvm/rpc_server.py on the farm"
            )
        # Candidates timed at once: one per server free now (more would only wait in the tracker's queue).
        self.parallel = max(1, int(queues[key].get("free", 1)))

    def _session(self):
        return tvm.rpc.connect_tracker(*self.tracker).request(
            self.key, priority=self.priority, session_timeout=self.session_timeout
        )

    def _upload(self, remote, build, folder, name):
        path = os.path.join(folder, f"{name}.so")
        build.export_library(path)
        remote.upload(path)
        return remote.load_module(f"{name}.so")

    def _remote_time(self, remote, module, arrays, entry=None):
        dev = remote.cpu()
        set_threads = remote.get_function("tf2tvm.set_threads")
        set_threads(self.threads)
        if remote.get_function("tf2tvm.threads")() != self.threads:
            raise RuntimeError(f"the server did not take {self.threads} threads")
        try:
            timer = module.time_evaluator(
                entry or module.entry_name, dev, number=1, repeat=_REPEAT + 1, min_repeat_ms=_MIN_REPEAT_MS
            )
            return [float(x) for x in timer(*arrays).results[1:]]
        finally:
            set_threads(1)

    @staticmethod
    def _remote_arrays(arrays, dev):
        return [tvm.nd.array(a.numpy(), dev) for a in arrays]

    def time_module(self, build, arrays, entry=None):
        folder = tempfile.mkdtemp(prefix="tf2tvm-measure-")
        try:
            remote = self._session()
            module = self._upload(remote, build, folder, "candidate")
            costs = self._remote_time(remote, module, self._remote_arrays(arrays, remote.cpu()), entry)
            return float(np.median(costs))
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def measure_batch(self, task, configs, target, rng):
        """measure() of each configuration, yielded in order: built here one
        after the other, timed on up to `parallel` servers at once (each
        timing is a session of its own; the RPC calls release the GIL)."""
        jobs = []
        for config in configs:
            try:
                func, args = self._build(task, config, target)
                jobs.append((func, random_args(args, rng)))
            except Exception:  # does not build: a bad candidate
                jobs.append(None)

        def timed(job):
            if job is None:
                return None
            try:
                return self.time_module(*job)
            except Exception:  # does not run: a bad candidate
                return None

        with concurrent.futures.ThreadPoolExecutor(max_workers=self.parallel) as pool:
            futures = [pool.submit(timed, job) for job in jobs]
            for future in futures:
                yield future.result()

    def compare(self, task, a, b, target, rng, rounds=5):
        folder = tempfile.mkdtemp(prefix="tf2tvm-compare-")
        try:
            built_a, args = self._build(task, a, target)
            built_b, _ = self._build(task, b, target)
            arrays = random_args(args, rng)
            # Both in one session: the same machine, the same inputs.
            remote = self._session()
            mod_a, mod_b = self._upload(remote, built_a, folder, "a"), self._upload(remote, built_b, folder, "b")
            remote_arrays = self._remote_arrays(arrays, remote.cpu())
            costs_a, costs_b = [], []
            for _ in range(rounds):
                costs_a.append(float(np.median(self._remote_time(remote, mod_a, remote_arrays))))
                costs_b.append(float(np.median(self._remote_time(remote, mod_b, remote_arrays))))
            return costs_a, costs_b
        except Exception:  # a configuration that does not build or run cannot win
            return None
        finally:
            shutil.rmtree(folder, ignore_errors=True)
