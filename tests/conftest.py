"""Make the repository root importable (`import engine`) however pytest is invoked, and run the
longest test files first.

Why the order matters (CI runs `-n 2 --dist worksteal`, pyproject.toml): a worker is never
idle while the other holds tests, but a test in progress cannot be shared, so the suite ends
with whatever runs last. Files with single tests of a minute or more (measured with
`--durations` on a fresh clone, 2 cores) go first, the longest first, so the end of the run is
made of short tests that even out between the workers. Only whole files move (their module
fixtures are set up once); every other file keeps pytest's order.
"""

import sys
from pathlib import Path

ROOT = str(Path(__file__).resolve().parents[1])
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

LONGEST_FIRST = (
    "tests/corpus/examples_pytorch/test_examples_pytorch.py",   # dynamic_net: 30,000 steps
    "tests/browser/test_readable.py",          # every step of every example, ten viewports
    "tests/browser/test_renderers_agree.py",   # every step of every example, two renderers
    "tests/dialects/test_dialect_corpus.py",   # imports TensorFlow and JAX (the oracles)
    "tests/browser/",                          # a page per test
    "tests/test_wheel.py",                     # builds and installs the wheel
)


def _rank(path: str) -> int:
    return next((i for i, prefix in enumerate(LONGEST_FIRST) if path.startswith(prefix)),
                len(LONGEST_FIRST))


def pytest_collection_modifyitems(session, config, items):
    root = Path(ROOT)
    relative = {}
    for item in items:
        if item.path not in relative:
            try:
                relative[item.path] = item.path.relative_to(root).as_posix()
            except ValueError:      # a test outside the repository: keep its place
                relative[item.path] = ""
    items.sort(key=lambda item: _rank(relative[item.path]))   # stable: files keep their order
