from __future__ import annotations

import torch

from astromorph_nb.data.batching import BatchSource


def test_batches_are_index_gathers_in_the_requested_order():
    images = torch.arange(10, dtype=torch.float32)[:, None, None, None].expand(10, 1, 4, 4).clone()
    source = BatchSource(images, torch.device("cpu"))
    assert source.is_resident
    batch = source.gather(torch.tensor([7, 2, 5]))
    assert batch[:, 0, 0, 0].tolist() == [7.0, 2.0, 5.0]
    assert batch.is_contiguous()


def test_working_size_averages_the_set_down_once():
    images = torch.rand(6, 2, 64, 48)
    source = BatchSource(images, torch.device("cpu"), working_size=32)
    batch = source.gather(torch.arange(6))
    assert batch.shape == (6, 2, 32, 24)
    torch.testing.assert_close(batch.mean(dim=(2, 3)), images.mean(dim=(2, 3)))
    small = BatchSource(torch.rand(3, 1, 16, 16), torch.device("cpu"), working_size=32)
    assert small.gather(torch.arange(3)).shape == (3, 1, 16, 16)
