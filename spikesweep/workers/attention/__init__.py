"""Attention modules under study. Each module file registers one entry in `ATTENTIONS`."""

from .base import Attention

__all__ = ["Attention"]
