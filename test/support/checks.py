"""The runner of the Python check scripts under test/ (bridge_op_test.py,
fallback_test.py): every test_* function of a module, in order, each
reported as ok or FAIL with its traceback, and a closing count."""

import traceback


def run_checks(namespace):
    """Runs namespace's test_* functions; returns the exit code (1 if any failed)."""
    tests = [(name, fn) for name, fn in namespace.items() if name.startswith("test_") and callable(fn)]
    failed = []
    for name, fn in tests:
        try:
            fn()
            print("ok  ", name)
        except Exception:
            failed.append(name)
            print("FAIL", name)
            traceback.print_exc()
    print(f"{len(tests) - len(failed)} of {len(tests)} checks passed")
    return 1 if failed else 0
