import pytest
import torch
import torchvision
from torch import nn

from astromorph_nb.model import Encoder, SmallCNN, build_encoder

NAMES = ["small", "resnet18", "resnet18-layer2", "mobilenet_v3_small", "squeezenet1_1"]


def first_conv(module: nn.Module) -> nn.Conv2d:
    return next(m for m in module.modules() if isinstance(m, nn.Conv2d))


@pytest.mark.parametrize("in_channels", [1, 3, 7])
@pytest.mark.parametrize("name", NAMES)
def test_named_encoder_maps_batch_to_vectors(name, in_channels):
    encoder = build_encoder(name, in_channels=in_channels)
    features = encoder(torch.randn(2, in_channels, 32, 32))
    assert isinstance(encoder, Encoder)
    assert isinstance(encoder.n_features, int)
    assert features.shape == (2, encoder.n_features)
    assert first_conv(encoder).in_channels == in_channels


@pytest.mark.parametrize(
    ("layer", "n_features"), [("layer1", 64), ("layer2", 128), ("layer3", 256), ("layer4", 512)]
)
def test_resnet_cut_after_layer_has_that_layers_width(layer, n_features):
    encoder = build_encoder(f"resnet18-{layer}", in_channels=1)
    assert encoder.n_features == n_features
    assert encoder(torch.randn(2, 1, 32, 32)).shape == (2, n_features)


def test_resnet_cut_drops_later_layers():
    encoder = build_encoder("resnet18-layer2", in_channels=1)
    assert isinstance(encoder.body.layer3, nn.Identity)
    assert isinstance(encoder.body.layer4, nn.Identity)
    n_weights = sum(p.numel() for p in encoder.parameters())
    assert n_weights < sum(p.numel() for p in build_encoder("resnet18", in_channels=1).parameters())


def test_small_cnn_width_sets_n_features():
    encoder = SmallCNN(in_channels=2, width=4, n_stages=3)
    assert encoder.n_features == 16
    assert encoder(torch.randn(3, 2, 16, 16)).shape == (3, 16)


def test_stack_to_rgb_repeats_the_band_for_a_3_channel_network():
    torch.manual_seed(0)
    encoder = build_encoder("resnet18-layer1", in_channels=1, stack_to_rgb=True).eval()
    images = torch.randn(2, 1, 32, 32)
    assert first_conv(encoder).in_channels == 3
    expected = encoder.body(images.repeat(1, 3, 1, 1))
    torch.testing.assert_close(encoder(images), expected)


def test_stack_to_rgb_needs_one_channel():
    with pytest.raises(ValueError, match=r"needs in_channels=1; got in_channels=3"):
        build_encoder("small", in_channels=3, stack_to_rgb=True)


@pytest.mark.parametrize(("layer", "n_features"), [("avgpool", 512), ("layer2", 128)])
def test_user_module_read_at_representation_layer(layer, n_features):
    model = torchvision.models.resnet18(weights=None)
    encoder = build_encoder(model, in_channels=3, representation_layer=layer)
    assert encoder.n_features == n_features
    assert model.training  # measuring n_features left the user's module in training mode
    encoder.train()
    assert encoder(torch.randn(2, 3, 32, 32)).shape == (2, n_features)


def test_user_module_with_given_n_features_is_not_run():
    calls = []
    model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.AdaptiveAvgPool2d(1), nn.Flatten())
    model.register_forward_hook(lambda *args: calls.append(1))
    encoder = build_encoder(model, in_channels=1, n_features=4)
    assert encoder.n_features == 4
    assert calls == []


def test_user_module_n_features_attribute_is_used():
    small = SmallCNN(in_channels=1, width=4, n_stages=2)
    assert build_encoder(small, in_channels=1).n_features == small.n_features


def test_user_module_n_features_measured_when_not_given():
    model = nn.Sequential(nn.Conv2d(5, 6, 3), nn.AdaptiveAvgPool2d(1), nn.Flatten())
    assert build_encoder(model, in_channels=5).n_features == 6


def test_user_module_returning_feature_maps_asks_for_layer():
    model = nn.Conv2d(1, 4, 3)
    with pytest.raises(ValueError, match=r"must return \(B, n_features\).*representation_layer="):
        build_encoder(model, in_channels=1)


def test_user_module_with_wrong_channels_asks_for_n_features():
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.Flatten())
    with pytest.raises(ValueError, match=r"test batch of shape \(2, 1, 64, 64\).*Pass n_features="):
        build_encoder(model, in_channels=1)


def test_unknown_representation_layer_suggests_closest():
    model = torchvision.models.resnet18(weights=None)
    with pytest.raises(ValueError, match=r"No layer 'avgpol' in ResNet.*Did you mean 'avgpool'"):
        build_encoder(model, in_channels=3, representation_layer="avgpol")


def test_unknown_name_suggests_closest_and_lists_choices():
    with pytest.raises(
        ValueError, match=r"Unknown encoder 'resnt18'.*'small'.*Did you mean 'resnet18'"
    ):
        build_encoder("resnt18", in_channels=1)


def test_cut_of_non_resnet_is_unknown():
    with pytest.raises(ValueError, match=r"Unknown encoder 'vgg11-layer2'"):
        build_encoder("vgg11-layer2", in_channels=1)


def test_user_module_options_rejected_for_names():
    with pytest.raises(ValueError, match=r"'n_features' parameter of build_encoder applies to"):
        build_encoder("small", in_channels=1, n_features=8)


@pytest.mark.parametrize(
    ("in_channels", "error", "match"),
    [
        (0, ValueError, r"'in_channels' parameter of build_encoder must be an int >= 1; got 0"),
        (1.5, TypeError, r"'in_channels' parameter of build_encoder must be an int >= 1"),
    ],
)
def test_bad_in_channels(in_channels, error, match):
    with pytest.raises(error, match=match):
        build_encoder("small", in_channels=in_channels)


def test_bad_encoder_type():
    with pytest.raises(TypeError, match=r"encoder name \(str\) or a torch.nn.Module; got int"):
        build_encoder(3, in_channels=1)


def test_working_size_averages_large_images_down_inside_the_encoder():
    import torch.nn as nn

    from astromorph_nb.model import build_encoder

    seen = []

    class Probe(nn.Module):
        n_features = 1

        def forward(self, images):
            seen.append(tuple(images.shape))
            return images.mean(dim=(1, 2, 3))[:, None]

    encoder = build_encoder(Probe(), in_channels=1, working_size=32)
    images = torch.rand(2, 1, 64, 48)
    out = encoder(images)
    assert seen[-1] == (2, 1, 32, 24)
    torch.testing.assert_close(out[:, 0], images.mean(dim=(1, 2, 3)))  # area keeps the mean
    encoder(torch.rand(2, 1, 16, 16))
    assert seen[-1] == (2, 1, 16, 16)  # smaller images are left alone
    with pytest.raises(
        ValueError, match="'working_size' parameter of build_encoder must be an int >= 4"
    ):
        build_encoder(Probe(), in_channels=1, working_size=2)


def test_default_model_is_small_and_works_at_32_pixels():
    from astromorph_nb.model.defaults import DEFAULT_WORKING_SIZE, default_model

    model = default_model(in_channels=3)
    assert model.encoder.working_size == DEFAULT_WORKING_SIZE == 32
    assert model.embed(torch.rand(4, 3, 64, 64)).shape == (4, model.n_features)
    n_weights = sum(p.numel() for p in model.encoder.parameters())
    assert n_weights < 500_000
