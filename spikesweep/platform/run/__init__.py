"""Running studies on Ray Tune: the driver, its Tune callbacks, the trainable, the searcher and Ray start-up."""

from .driver import Outcome, run_study
from .rescoring import rescore_study

__all__ = ["Outcome", "rescore_study", "run_study"]
