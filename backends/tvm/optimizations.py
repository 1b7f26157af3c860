"""The named optimisations tf2tvm applies on top of relay.build, and which of
them the current job has switched off.

Each name can be disabled per job ("disable": [...] in the job,
`tf2tvm compile --disable-opt NAME,...` on the command line); the names are
part of the build-cache key, so a library built without one never stands in
for a library built with it. The list must match OPTIMIZATIONS in
backends/tvm/optimizations.ts (a test checks it). What each buys:
docs/performance.md.
"""

# name -> one line for `--help` and the docs (kept in the TypeScript table).
NAMES = (
    # Relay passes (relay_passes.py), in the order they run
    "expand-pow",
    "fold-pad",
    "convert-layout",
    "canonicalize",
    "fast-math",
    "keep-data-scales",
    # x86 schedules and strategies (x86_schedules.py)
    "injective",
    "batch-matmul",
    "reduce",
    "conv-tiles",
    # x86_winograd.py
    "winograd",
)

_disabled = frozenset()


def configure(disabled):
    """Sets the optimisations the next build runs without; unknown names are an error."""
    global _disabled
    disabled = frozenset(disabled or ())
    unknown = sorted(disabled - set(NAMES))
    if unknown:
        raise ValueError(f"unknown optimisation(s) {', '.join(unknown)}; known: {', '.join(NAMES)}")
    _disabled = disabled


def enabled(name):
    assert name in NAMES, name
    return name not in _disabled
