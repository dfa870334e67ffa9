import torch
from torch import nn

from astromorph_nb.model import PredictionHead, ProjectionHead


def test_heads_are_linear_batchnorm_relu_linear():
    for head_class in (ProjectionHead, PredictionHead):
        head = head_class(12, 20, 6)
        kinds = [type(layer) for layer in head.modules() if not list(layer.children())]
        assert kinds == [nn.Linear, nn.BatchNorm1d, nn.ReLU, nn.Linear]
        assert head(torch.randn(4, 12)).shape == (4, 6)
