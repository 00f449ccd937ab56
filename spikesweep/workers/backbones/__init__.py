"""Spiking backbones. A backbone maps `[T, B, C, H, W]` to per-step logits `[T, B, classes]`."""
