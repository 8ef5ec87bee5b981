# Source: https://github.com/d2l-ai/d2l-en/blob/23d7a5aecceee57d1292c56e90cce307f183bb0a/chapter_preliminaries/autograd.md
# Taken: sections "A Simple Function" to "Backward for Non-Scalar Variables": the PyTorch code cells at lines 82-86, 126-131, 149-153, 203-207, 234-237, 289-295, 379-385, in order, joined by a blank line (the `%%tab ...` marker line of each cell left out)
# Licence: MIT-0 style (d2l-en LICENSE-SAMPLECODE: sample code under a modified MIT licence, Copyright 2019 Amazon.com, Inc. or its affiliates)
x = torch.arange(4.0)
x

# Can also create x = torch.arange(4.0, requires_grad=True)
x.requires_grad_(True)
x.grad  # The gradient is None by default

y = 2 * torch.dot(x, x)
y

y.backward()
x.grad

x.grad == 4 * x

x.grad.zero_()  # Reset the gradient
y = x.sum()
y.backward()
x.grad

x.grad.zero_()
y = x * x
y.backward(gradient=torch.ones(len(y)))  # Faster: y.sum().backward()
x.grad
