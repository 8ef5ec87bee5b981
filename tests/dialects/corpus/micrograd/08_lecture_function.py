# Source: https://github.com/karpathy/nn-zero-to-hero/blob/73c3fcc741f0ec104ca850b1fb0df90e7e8d4cde/lectures/micrograd/micrograd_lecture_first_half_roughly.ipynb
# Taken: code cells 1, 2; math and numpy as np assumed (cell 0 imports them with matplotlib)
# Licence: MIT, Copyright (c) 2022 Andrej Karpathy (nn-zero-to-hero LICENSE)
def f(x):
  return 3*x**2 - 4*x + 5
f(3.0)
