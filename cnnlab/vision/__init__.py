"""Vision: safe image intake, kernels and filter banks, the frequency view."""
