"""A tuning farm's measuring server: `tf2tvm tune --rpc-tracker HOST:PORT --rpc-key KEY`.

  python backends/tvm/rpc_server.py --tracker HOST:PORT --key KEY [--host H] [--port P]

Registers with TVM's tracker (python -m tvm.exec.rpc_tracker) under KEY and
serves sessions that time candidates built elsewhere (measure.py's
RemoteMeasurer) the way the bridge op runs them: a module the session loads
has its __TVMBackendParallelLaunch redirected to the launcher library
(build/runtime/libtf2tvm_launcher.so of this checkout, or --launcher), and
`tf2tvm.set_threads` sets how many tasks the session thread's parallel loops
run as.

This TVM's own load_module global takes one argument where the C++ side
(LoadRemoteModule) calls it with three (path, options, cc), so every remote
load fails with the stock server; the one registered here takes them. TVM
registers its own after this process starts a session (rpc/server.py's
_server_env, in the session's forked process), so the registration is
chained to that function: ours comes last.

Imports tvm only. Run it with TVM_FFI=ctypes and TOPHUB_LOCATION=NONE (set
here too if missing). Stops on SIGTERM or SIGINT; TVM's server and session
processes are its children (stop the process group to be sure none stays).
"""

import argparse
import functools
import os
import signal
import sys
import time

os.environ.setdefault("TVM_FFI", "ctypes")
os.environ.setdefault("TOPHUB_LOCATION", "NONE")

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from tvm import rpc  # noqa: E402

import measure  # noqa: E402


def install(here, launcher_path):
    """Registers, in this process, the load_module and tf2tvm.* globals a
    session uses, after (and in place of) TVM's own. Runs in TVM's server
    process (the init callback is sent there by value), so it imports what it
    needs itself."""
    if here not in sys.path:
        sys.path.insert(0, here)
    import sys as sys_here
    import time as time_here

    import tvm as tvm_here
    from tvm.rpc import server as server_here

    import measure as measure_here

    launcher = measure_here.Launcher(launcher_path)

    def register(temp):
        @tvm_here.register_func("tvm.rpc.server.load_module", override=True)
        def load_module(file_name, *_options):
            path = temp.relpath(file_name)
            module = tvm_here.runtime.load_module(path)
            launcher.redirect(path)
            return module

        @tvm_here.register_func("tf2tvm.set_threads", override=True)
        def set_threads(n):
            launcher.set_threads(int(n))
            # A timing starts and ends with a call: the log shows when this server measured.
            print(f"tf2tvm rpc server: threads {int(n)} at {time_here.time():.6f}", file=sys_here.stderr, flush=True)

        @tvm_here.register_func("tf2tvm.threads", override=True)
        def threads():
            return launcher.threads()

    stock = server_here._server_env

    def server_env(load_library, work_path=None):
        temp = stock(load_library, work_path)
        register(temp)
        return temp

    server_here._server_env = server_env


def parse_addr(text):
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not HOST:PORT")
    return host, int(port)


def main(argv=None):
    p = argparse.ArgumentParser(description="A measuring server of a tf2tvm tuning farm (TVM RPC, tracker-registered).")
    p.add_argument("--tracker", type=parse_addr, required=True, help="the tracker, HOST:PORT")
    p.add_argument("--key", required=True, help="the key the farm's servers register under")
    p.add_argument("--host", default="0.0.0.0", help="address to listen on (default: all)")
    p.add_argument("--port", type=int, default=9090, help="first port to try (default: 9090)")
    p.add_argument("--port-end", type=int, default=None, help="the port after the last to try (default: --port + 100)")
    p.add_argument("--custom-addr", default=None, help="the address the tracker hands clients (default: as seen)")
    p.add_argument("--launcher", default=None, help="the launcher library (default: build/runtime of this checkout)")
    args = p.parse_args(argv)
    # Fails here, before registering, when the launcher is missing.
    measure.Launcher(args.launcher)
    launcher = os.path.abspath(args.launcher or measure.default_launcher_path())
    server = rpc.Server(
        host=args.host,
        port=args.port,
        port_end=args.port_end if args.port_end is not None else args.port + 100,
        key=args.key,
        tracker_addr=args.tracker,
        custom_addr=args.custom_addr,
        silent=False,
        server_init_callback=functools.partial(install, HERE, launcher),
    )
    print(
        f"tf2tvm rpc server on port {server.port}, key {args.key}, tracker {args.tracker[0]}:{args.tracker[1]}",
        flush=True,
    )

    def stop(*_):
        server.terminate()
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main()
