# Source: https://github.com/d2l-ai/d2l-en/blob/23d7a5aecceee57d1292c56e90cce307f183bb0a/chapter_preliminaries/linear-algebra.md
# Taken: sections "Basic Properties of Tensor Arithmetic" to "Non-Reduction Sum": the PyTorch code cells at lines 398-403, 437-440, 453-458, 487-491, 511-514, 532-535, 544-547, 557-560, 579-582, 592-595, 609-613, 625-628, 634-637, in order, joined by a blank line (the `%%tab ...` marker line of each cell left out)
# Licence: MIT-0 style (d2l-en LICENSE-SAMPLECODE: sample code under a modified MIT licence, Copyright 2019 Amazon.com, Inc. or its affiliates)
A = torch.arange(6, dtype=torch.float32).reshape(2, 3)
B = A.clone()  # Assign a copy of A to B by allocating new memory
A, A + B

A * B

a = 2
X = torch.arange(24).reshape(2, 3, 4)
a + X, (a * X).shape

x = torch.arange(3, dtype=torch.float32)
x, x.sum()

A.shape, A.sum()

A.shape, A.sum(axis=0).shape

A.shape, A.sum(axis=1).shape

A.sum(axis=[0, 1]) == A.sum()  # Same as A.sum()

A.mean(), A.sum() / A.numel()

A.mean(axis=0), A.sum(axis=0) / A.shape[0]

sum_A = A.sum(axis=1, keepdims=True)
sum_A, sum_A.shape

A / sum_A

A.cumsum(axis=0)
