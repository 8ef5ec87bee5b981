# Source: https://github.com/d2l-ai/d2l-en/blob/23d7a5aecceee57d1292c56e90cce307f183bb0a/chapter_preliminaries/calculus.md
# Taken: section "Derivatives and Differentiation": the PyTorch code cells at lines 133-137, 157-161, in order, joined by a blank line (the `%%tab ...` marker line of each cell left out)
# Licence: MIT-0 style (d2l-en LICENSE-SAMPLECODE: sample code under a modified MIT licence, Copyright 2019 Amazon.com, Inc. or its affiliates)
def f(x):
    return 3 * x ** 2 - 4 * x

for h in 10.0**np.arange(-1, -6, -1):
    print(f'h={h:.5f}, numerical limit={(f(1+h)-f(1))/h:.5f}')
