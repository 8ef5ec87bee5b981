"""Random numbers as PyTorch and Python make them, value for value.

  mt19937          the Mersenne Twister stream and its two seedings (PyTorch's, CPython's)
  torch_generator  PyTorch's CPU generator: MT19937 state, seed, cached normal
  torch_sampling   PyTorch's CPU kernels: uniform, normal (both paths), randint, randperm
  cephes_float     the float32 log/sincos of PyTorch's AVX normal kernel, fused multiply-adds
  state            the per-run random state kept on the tape
"""
