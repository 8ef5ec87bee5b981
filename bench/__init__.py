"""Benchmarks: `python -m bench` runs them all and rewrites bench/README.md.

One thread per process for NumPy's BLAS and PyTorch alike: the machine this runs on has two
cores shared with everything else, and multithreaded BLAS/OpenMP spinning under contention
measures the machine, not the code (the server's workers run one trace each, too).
"""

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
