import math

import pytest
import torch
from torch import nn

from astromorph_nb.model import BYOL, SmallCNN, cosine_momentum, normalized_mse


@pytest.fixture
def byol():
    torch.manual_seed(0)
    return BYOL(
        SmallCNN(in_channels=2, width=4, n_stages=2), projection_size=8, projection_hidden_size=16
    )


@pytest.fixture
def views():
    generator = torch.Generator().manual_seed(1)
    view_a = torch.randn(6, 2, 16, 16, generator=generator)
    view_b = view_a + 0.1 * torch.randn(6, 2, 16, 16, generator=generator)
    return view_a, view_b


def online_pairs(byol):
    online = [*byol.encoder.parameters(), *byol.projector.parameters()]
    target = [*byol.target_encoder.parameters(), *byol.target_projector.parameters()]
    return list(zip(online, target, strict=True))


def perturb_online(byol):
    with torch.no_grad():
        for parameter in [*byol.encoder.parameters(), *byol.projector.parameters()]:
            parameter.add_(torch.randn_like(parameter))


def test_loss_equals_hand_computation_per_view(byol, views):
    # In evaluation mode BatchNorm does not depend on the batch, so one pass per view must
    # give the same numbers as the single concatenated pass.
    view_a, view_b = views
    perturb_online(byol)
    byol.eval()

    def predict(view):
        return byol.predictor(byol.projector(byol.encoder(view)))

    def project_target(view):
        return byol.target_projector(byol.target_encoder(view))

    expected = (
        normalized_mse(predict(view_a), project_target(view_b))
        + normalized_mse(predict(view_b), project_target(view_a))
    ).mean()
    torch.testing.assert_close(byol.loss(view_a, view_b), expected)


def test_loss_is_symmetric_in_the_views(byol, views):
    view_a, view_b = views
    perturb_online(byol)
    torch.testing.assert_close(byol.loss(view_a, view_b), byol.loss(view_b, view_a))


def test_loss_is_a_scalar_between_zero_and_eight(byol, views):
    loss = byol.loss(*views)
    assert loss.shape == ()
    assert 0 <= loss.item() <= 8


def test_loss_runs_each_network_once_on_both_views(byol, views):
    calls = {"online": [], "target": []}
    byol.encoder.register_forward_hook(lambda m, args, out: calls["online"].append(args[0].shape))
    byol.target_encoder.register_forward_hook(
        lambda m, args, out: calls["target"].append(args[0].shape)
    )
    byol.loss(*views)
    assert calls["online"] == [(12, 2, 16, 16)]
    assert calls["target"] == [(12, 2, 16, 16)]


def test_loss_is_computed_in_float32_under_bfloat16_autocast(byol, views):
    reference = byol.loss(*views).item()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        loss = byol.loss(*views)
    assert loss.dtype == torch.float32
    # The networks ran in bfloat16 (about 3 significant digits), the loss did not add more.
    assert loss.item() == pytest.approx(reference, rel=0.02)
    loss.backward()
    assert all(p.grad is not None for p in byol.predictor.parameters())


def test_gradients_reach_online_network_only(byol, views):
    byol.loss(*views).backward()
    for online, target in online_pairs(byol):
        assert online.grad is not None
        assert target.grad is None
        assert not target.requires_grad
    assert all(p.grad is not None for p in byol.predictor.parameters())


def test_target_starts_as_copy_of_online(byol):
    for online, target in online_pairs(byol):
        assert torch.equal(online, target)
        assert online is not target


def test_update_target_is_exact_ema(byol):
    perturb_online(byol)
    before = [(o.detach().clone(), t.clone()) for o, t in online_pairs(byol)]
    byol.update_target(momentum=0.9)
    for (online, target), (online_before, target_before) in zip(
        online_pairs(byol), before, strict=True
    ):
        torch.testing.assert_close(target, 0.9 * target_before + 0.1 * online_before)
        assert torch.equal(online, online_before)


def test_update_target_with_momentum_one_leaves_target_unchanged(byol):
    perturb_online(byol)
    before = [t.clone() for _, t in online_pairs(byol)]
    byol.update_target(momentum=1.0)
    for (_, target), target_before in zip(online_pairs(byol), before, strict=True):
        assert torch.equal(target, target_before)


def test_update_target_with_momentum_zero_copies_online(byol):
    perturb_online(byol)
    byol.update_target(momentum=0.0)
    for online, target in online_pairs(byol):
        assert torch.equal(online, target)


def test_update_target_copies_batchnorm_statistics(byol, views):
    byol.loss(*views)  # training-mode pass: running statistics move
    byol.update_target(momentum=0.99)
    online = [*byol.encoder.buffers(), *byol.projector.buffers()]
    target = [*byol.target_encoder.buffers(), *byol.target_projector.buffers()]
    assert online
    for online_buffer, target_buffer in zip(online, target, strict=True):
        assert torch.equal(online_buffer, target_buffer)


@pytest.mark.parametrize("momentum", [1.5, -0.1, float("nan")])
def test_update_target_rejects_momentum_outside_unit_interval(byol, momentum):
    with pytest.raises(ValueError, match=r"'momentum' parameter of BYOL.update_target must be"):
        byol.update_target(momentum=momentum)


@pytest.mark.parametrize("training", [True, False])
def test_embed_restores_mode_and_returns_vectors(byol, views, training):
    byol.train(training)
    features = byol.embed(views[0])
    assert features.shape == (6, byol.n_features)
    assert not features.requires_grad
    assert all(m.training == training for m in byol.modules())
    features /= 2  # a plain tensor: callers may change it in place


def test_embed_keeps_layers_frozen_by_the_user(byol, views):
    frozen = byol.encoder.features[1]
    frozen.eval()
    byol.embed(views[0])
    assert not frozen.training
    assert byol.encoder.features[0].training


def test_embed_does_not_depend_on_the_rest_of_the_batch(byol, views):
    byol.loss(*views)
    features = byol.embed(views[0])
    torch.testing.assert_close(byol.embed(views[0][:2]), features[:2])


def test_byol_needs_encoder_with_n_features():
    with pytest.raises(TypeError, match=r"no int attribute 'n_features'.*build_encoder"):
        BYOL(nn.Conv2d(1, 4, 3))


def test_few_optimisation_steps_reduce_the_loss(byol, views):
    optimizer = torch.optim.Adam(byol.parameters(), lr=1e-2)
    losses = []
    for _ in range(15):
        loss = byol.loss(*views)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        byol.update_target(momentum=0.9)
        losses.append(loss.item())
    assert all(math.isfinite(value) for value in losses)
    assert sum(losses[-3:]) < 0.5 * sum(losses[:3])


def test_cosine_momentum_goes_from_base_to_one():
    assert cosine_momentum(0, 100) == pytest.approx(0.99)
    assert cosine_momentum(50, 100) == pytest.approx(0.995)
    assert cosine_momentum(100, 100) == 1.0
    assert cosine_momentum(0, 10, base=0.996) == pytest.approx(0.996)
    values = [cosine_momentum(step, 10) for step in range(11)]
    assert values == sorted(values)


def test_cosine_momentum_rejects_step_beyond_total():
    with pytest.raises(ValueError, match=r"'step' parameter of cosine_momentum must be in"):
        cosine_momentum(11, 10)
