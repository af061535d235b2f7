"""Networks: the embedding networks, their random weights, siamese augmentation, training and the optimiser."""
