"""The backbones, torch-free half: every backbone's name, registered with its builder imported when a model is
built (the builders are in the sibling modules)."""

from __future__ import annotations

from ..plugin_registry import Lazy
from ..registries import BACKBONES

BACKBONES.add("ms_resnet18", Lazy("spikesweep.workers.backbones.ms_resnet:ms_resnet18"))
BACKBONES.add("ms_resnet34", Lazy("spikesweep.workers.backbones.ms_resnet:ms_resnet34"))
BACKBONES.add("resnet18", Lazy("spikesweep.workers.backbones.resnet_imagenet:resnet18"))
BACKBONES.add("resnet19", Lazy("spikesweep.workers.backbones.resnet_cifar:resnet19"))
BACKBONES.add("resnet20", Lazy("spikesweep.workers.backbones.resnet_cifar:resnet20"))
BACKBONES.add("resnet34", Lazy("spikesweep.workers.backbones.resnet_imagenet:resnet34"))
BACKBONES.add("small_cnn", Lazy("spikesweep.workers.backbones.small_cnn:small_cnn"))
BACKBONES.add("vgg13", Lazy("spikesweep.workers.backbones.vgg:vgg13"))
