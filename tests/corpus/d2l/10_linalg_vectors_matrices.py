# Source: https://github.com/d2l-ai/d2l-en/blob/23d7a5aecceee57d1292c56e90cce307f183bb0a/chapter_preliminaries/linear-algebra.md
# Taken: sections "Vectors" and "Matrices": the PyTorch code cells at lines 142-146, 174-177, 185-188, 194-197, 243-247, 282-285, 303-307, in order, joined by a blank line (the `%%tab ...` marker line of each cell left out)
# Licence: MIT-0 style (d2l-en LICENSE-SAMPLECODE: sample code under a modified MIT licence, Copyright 2019 Amazon.com, Inc. or its affiliates)
x = torch.arange(3)
x

x[2]

len(x)

x.shape

A = torch.arange(6).reshape(3, 2)
A

A.T

A = torch.tensor([[1, 2, 3], [2, 0, 4], [3, 4, 5]])
A == A.T
