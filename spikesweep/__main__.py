"""`python -m spikesweep ...` is the `spikesweep` command."""

import sys

from spikesweep.platform.cli import main

sys.exit(main())
