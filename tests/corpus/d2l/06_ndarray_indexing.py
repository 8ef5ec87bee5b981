# Source: https://github.com/d2l-ai/d2l-en/blob/23d7a5aecceee57d1292c56e90cce307f183bb0a/chapter_preliminaries/ndarray.md
# Taken: sections "Getting Started" to "Indexing and Slicing": the PyTorch code cells at lines 71-74, 142-146, 189-192, 206-209, 223-227, 258-261, 281-284, 311-314, 342-345, 376-379, 395-399, 427-431, in order, joined by a blank line (the `%%tab ...` marker line of each cell left out)
# Licence: MIT-0 style (d2l-en LICENSE-SAMPLECODE: sample code under a modified MIT licence, Copyright 2019 Amazon.com, Inc. or its affiliates)
import torch

x = torch.arange(12, dtype=torch.float32)
x

x.numel()

x.shape

X = x.reshape(3, 4)
X

torch.zeros((2, 3, 4))

torch.ones((2, 3, 4))

torch.randn(3, 4)

torch.tensor([[2, 1, 4, 3], [1, 2, 3, 4], [4, 3, 2, 1]])

X[-1], X[1:3]

X[1, 2] = 17
X

X[:2, :] = 12
X
