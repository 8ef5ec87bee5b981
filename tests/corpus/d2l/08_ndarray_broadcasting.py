# Source: https://github.com/d2l-ai/d2l-en/blob/23d7a5aecceee57d1292c56e90cce307f183bb0a/chapter_preliminaries/ndarray.md
# Taken: section "Broadcasting": the PyTorch code cells at lines 638-643, 667-670, in order, joined by a blank line (the `%%tab ...` marker line of each cell left out)
# Licence: MIT-0 style (d2l-en LICENSE-SAMPLECODE: sample code under a modified MIT licence, Copyright 2019 Amazon.com, Inc. or its affiliates)
a = torch.arange(3).reshape((3, 1))
b = torch.arange(2).reshape((1, 2))
a, b

a + b
