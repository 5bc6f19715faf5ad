"""`tritorch.nn.functional` (PyTorch's `torch.nn.functional`): PyTorch's signatures and defaults
over registry ops with fused kernels on cuda and numpy twins on cpu."""
