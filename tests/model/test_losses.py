import torch

from astromorph_nb.model import normalized_mse, symmetric_normalized_mse


def test_normalized_mse_is_two_minus_two_cosine():
    prediction, target = torch.randn(5, 8), torch.randn(5, 8)
    expected = 2 - 2 * torch.nn.functional.cosine_similarity(prediction, target, dim=1)
    torch.testing.assert_close(normalized_mse(prediction, target), expected)


def test_normalized_mse_ignores_length_and_spans_zero_to_four():
    vector = torch.randn(1, 8)
    torch.testing.assert_close(normalized_mse(vector, 3 * vector), torch.zeros(1))
    torch.testing.assert_close(normalized_mse(vector, -vector), torch.full((1,), 4.0))


def test_symmetric_loss_adds_both_directions():
    p_a, p_b, t_a, t_b = torch.randn(4, 3, 8)
    expected = (normalized_mse(p_a, t_b) + normalized_mse(p_b, t_a)).mean()
    torch.testing.assert_close(symmetric_normalized_mse(p_a, p_b, t_a, t_b), expected)
    assert symmetric_normalized_mse(p_a, p_b, t_a, t_b).shape == ()
