"""Batching token sequences for decoder-only models: length-sorted micro-batches, left padding."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def micro_batches(lengths: Sequence[int], size: int) -> list[list[int]]:
    """Indices grouped into batches of at most `size`, longest first, so each batch pads little.

    The longest batch comes first: memory trouble shows at once rather than at the end of a run.
    """
    if size < 1:
        raise ValueError(f"batch size must be at least 1, got {size}")
    order = sorted(range(len(lengths)), key=lambda i: (-lengths[i], i))
    return [order[start : start + size] for start in range(0, len(order), size)]


def left_pad(sequences: Sequence[Sequence[int]], pad_id: int, device: Any = None) -> tuple[Any, Any, Any]:
    """`(input_ids, attention_mask, position_ids)` tensors with padding on the left.

    Decoder-only models generate after the last column, so every prompt must end there. Position
    ids count real tokens only, so a padded prompt sees the same positions as an unpadded one.
    """
    import torch

    width = max((len(s) for s in sequences), default=0)
    ids = torch.full((len(sequences), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(sequences), width), dtype=torch.long)
    for row, seq in enumerate(sequences):
        if seq:
            ids[row, width - len(seq) :] = torch.tensor(list(seq), dtype=torch.long)
            mask[row, width - len(seq) :] = 1
    positions = (mask.cumsum(dim=-1) - 1).clamp(min=0)
    return ids.to(device), mask.to(device), positions.to(device)
