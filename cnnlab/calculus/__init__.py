"""Calculus: the safe expression reader, scalar autograd, numerical gradients, optimizers, loss surfaces."""
