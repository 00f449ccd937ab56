"""`attention: none`: the vanilla backbone with the same neuron, the baseline of every ablation."""

from ..registries import ATTENTIONS
from .base import Attention

ATTENTIONS.add("none", Attention())
