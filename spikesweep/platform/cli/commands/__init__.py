"""One module per `spikesweep` sub-command; each exposes `register(subparsers)`."""
