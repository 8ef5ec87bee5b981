# Source: https://github.com/karpathy/nn-zero-to-hero/blob/73c3fcc741f0ec104ca850b1fb0df90e7e8d4cde/lectures/micrograd/micrograd_lecture_first_half_roughly.ipynb
# Taken: code cell 5
# Licence: MIT, Copyright (c) 2022 Andrej Karpathy (nn-zero-to-hero LICENSE)
# les get more complex
a = 2.0
b = -3.0
c = 10.0
d = a*b + c
print(d)
