"""The report command's option values, in a leaf module so the CLI builds its parser without loading numpy."""

FORMATS = ("md", "csv", "json")
PAIRED_TESTS = ("t", "wilcoxon")
