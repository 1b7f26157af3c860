"""A deliberately broken build worker for the failure-isolation tests: it runs
the real backends/tvm/build.py, except that jobs whose id starts with
$TF2TVM_TEST_BREAK get Relay text with a type error, so TVM itself fails to
build them (a real failure, not a mocked result), and jobs whose id starts
with $TF2TVM_TEST_HANG never finish (a build stuck in TVM, for the
--build-timeout tests)."""

import importlib.util
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REAL = os.path.join(HERE, "..", "..", "backends", "tvm", "build.py")
sys.path.insert(0, os.path.dirname(REAL))  # build.py's own modules
spec = importlib.util.spec_from_file_location("tf2tvm_build", REAL)
real = importlib.util.module_from_spec(spec)
spec.loader.exec_module(real)

BREAK = os.environ.get("TF2TVM_TEST_BREAK", "")
HANG = os.environ.get("TF2TVM_TEST_HANG", "")
real_build = real.build


def broken_build(job):
    if HANG and job["id"].startswith(HANG):
        time.sleep(3600)
    if BREAK and job["id"].startswith(BREAK):
        with open(job["relay"], encoding="utf-8") as f:
            text = f.read()
        # Adding a float32 tensor to an int32 one is a Relay type error.
        bad = text.replace("def @main(", "def @main(%tf2tvm_broken: Tensor[(1), int32], ", 1)
        body_end = bad.rstrip().rfind("}")
        last = bad[:body_end].rstrip().splitlines()[-1].strip()
        bad = bad[:body_end].rstrip()[: -len(last)] + f"add({last}, %tf2tvm_broken)\n}}\n"
        broken = job["relay"] + ".broken"
        with open(broken, "w", encoding="utf-8") as f:
            f.write(bad)
        job = dict(job, relay=broken)
    return real_build(job)


real.build = broken_build

if __name__ == "__main__":
    real.main()
