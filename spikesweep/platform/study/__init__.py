"""Study files: the file model, validation against the knob schema, and the designs that expand into trials."""

from .designs import TrialSpec, expand
from .file_model import Problems, StudyFile, apply_overrides, parse_yaml
from .validation import LoadedStudy, load_study

__all__ = ["LoadedStudy", "Problems", "StudyFile", "TrialSpec", "apply_overrides", "expand", "load_study", "parse_yaml"]
