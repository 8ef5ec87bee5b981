"""torch.nn's modules, losses and parameters, torch.optim's optimizers and custom
`torch.autograd.Function`s, over the engine's Tensor: plain Python objects the language reaches
through `language_*` hooks (attributes, calls, items), registered into the namespace tables by
`engine/nn/tables.py`."""
