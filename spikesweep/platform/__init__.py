"""The control plane: study files, the Ray Tune driver, the three stores, reports and the command line.

Packages depend one way: `cli` -> `study`, `run`, `reporting` -> `stores` -> the leaf modules `errors` and
`pareto`. Library code never imports the CLI; the trial side (`spikesweep.workers`) is used through its face.
"""
