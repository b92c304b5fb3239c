"""Geometry: output sizes, parameter and multiply-add counts, receptive fields, classic layer tables."""
