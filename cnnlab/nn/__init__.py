"""Networks: layers, models, training, datasets."""
