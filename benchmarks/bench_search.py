"""Search efficiency: how much of the full grid's Pareto front each search design finds per epoch trained.

A fixed 48-cell space on digits (small_cnn: attention x T x threshold, 9 epochs) is trained once, cell by
cell, with the real trial code (`run_trial`); the per-epoch curves (accuracy, energy, seconds) are kept in a JSON
file, which later runs reuse. Then every design is *replayed* on those curves: the grid and `search` with the real
Optuna samplers (`tpe`, `nsga2`, `random`, as `run/searcher.py` builds them, duplicates re-sampled as
MOOptunaSearch does), each without early stopping, with Ray's `ASHAScheduler` on accuracy (the driver's settings)
and with `MOASHAScheduler` (`run/moasha.py`), all called through their Tune scheduler API. Trials run 4 at a time,
asynchronously, each epoch taking the seconds it took when trained. Hypervolume (reference point: the nadir of the
full grid's front plus 10 % of its range) is measured against the total epochs trained, averaged over 3 search
seeds; a table and a PNG are written.

    python benchmarks/bench_search.py                      # train the grid if needed (~15 min on 2 busy cores), replay
    python benchmarks/bench_search.py --grid-json PATH --out benchmarks/results
"""

from __future__ import annotations

import argparse
import heapq
import itertools
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SPACE: dict[str, list[Any]] = {
    "attention": ["none", "dta", "fsta"],  # staa is left out: at T=1 it stays at chance accuracy on digits
    "timesteps": [1, 2, 3, 4],
    "neuron.threshold": [0.5, 0.75, 1.0, 1.5],
}
BASE: dict[str, Any] = {
    "dataset": "digits",
    "backbone": "small_cnn",
    "neuron": "generic",
    "epochs": 9,
    "lr": 0.05,
    "batch_size": 64,
    "seed": 0,
    "threads": 1,
}
OBJECTIVES = {"accuracy": "max", "energy_mj": "min"}
SAMPLER_N_TRIALS = 24  # the n_trials the samplers are built for (TPE start-up trials, NSGA-II population)
GRACE, ETA, WORKERS, SEARCH_BUDGET = 1, 3.0, 4, 0.5  # search designs stop starting trials at 50 % of grid epochs


def cells() -> list[dict[str, Any]]:
    """The 48 cells of the space, in grid order."""
    return [dict(zip(SPACE, values)) for values in itertools.product(*SPACE.values())]


def cell_key(params: dict[str, Any]) -> str:
    return json.dumps({k: params[k] for k in SPACE}, sort_keys=True)


def train_grid(path: Path) -> list[dict[str, Any]]:
    """Train every cell once (resumable: cells already in `path` are kept); per-epoch curves."""
    from spikesweep.workers import TrialEnv, run_trial

    done = {cell_key(c["params"]): c for c in json.loads(path.read_text())} if path.exists() else {}
    for i, params in enumerate(cells()):
        if cell_key(params) in done:
            continue
        curve: list[dict[str, float]] = []
        started = time.perf_counter()

        def report(metrics: dict[str, Any], curve: list[dict[str, float]] = curve, started: float = started) -> None:
            now = time.perf_counter()
            spent = now - started - sum(point["seconds"] for point in curve)
            curve.append({"epoch": metrics["epoch"], **{k: float(metrics[k]) for k in OBJECTIVES}, "seconds": spent})

        run_trial({**BASE, **params}, report, TrialEnv())
        done[cell_key(params)] = {"params": params, "curve": curve}
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(list(done.values()), indent=1))
        print(f"trained {i + 1}/48 {params}: acc {curve[-1]['accuracy']:.3f} energy {curve[-1]['energy_mj']:.2e}")
    return list(done.values())


# replay ---------------------------------------------------------------------------------------------------------


@dataclass
class ReplayTrial:
    """What a Tune scheduler reads of a trial: its id (and config, for MOASHA's protect rule)."""

    trial_id: str
    config: dict[str, Any]


@dataclass
class Run:
    """One replayed design: every trial's final state, epochs trained so far and the hypervolume curve."""

    epochs: int = 0
    complete: list[tuple[str, list[float]]] = field(default_factory=list)
    pruned: list[str] = field(default_factory=list)
    curve: list[tuple[int, float]] = field(default_factory=lambda: [(0, 0.0)])


def make_scheduler(kind: str) -> Any:
    """None, Ray's ASHA on accuracy (the driver's settings) or MOASHA over both objectives (study defaults)."""
    if kind == "none":
        return None
    if kind == "asha":
        from ray.tune.schedulers import ASHAScheduler

        return ASHAScheduler(
            time_attr="epoch",
            metric="accuracy",
            mode="max",
            max_t=BASE["epochs"],
            grace_period=GRACE,
            reduction_factor=ETA,
        )
    from spikesweep.platform.run.moasha import MOASHARungs, MOASHAScheduler, milestones

    rungs = MOASHARungs(OBJECTIVES, milestones(GRACE, ETA, BASE["epochs"]), reduction_factor=ETA, bootstrap=3)
    return MOASHAScheduler(rungs)


class Source:
    """Where the next configuration comes from: the grid in a shuffled order, or a real Optuna sampler."""

    def __init__(self, design: str, seed: int, n_trials: int = 48) -> None:
        import optuna

        from spikesweep.platform.run.searcher import SAMPLERS

        self.design, self.seen, self.asked = design, set[str](), {}
        self.order = [cells()[i] for i in np.random.default_rng(seed).permutation(48)] if design == "grid" else []
        self.left = n_trials
        if design != "grid":
            optuna.logging.set_verbosity(optuna.logging.WARNING)
            self.study = optuna.create_study(
                directions=["maximize", "minimize"], sampler=SAMPLERS[design](seed, SAMPLER_N_TRIALS)
            )

    def next(self, trial_id: str) -> dict[str, Any] | None:
        """The next configuration to run (None when the design has no more); duplicates re-sampled (<= 20)."""
        if self.left <= 0:
            return None
        self.left -= 1
        if self.design == "grid":
            return self.order.pop(0)
        from optuna.trial import TrialState

        for attempt in range(20):
            trial = self.study.ask()
            params = {name: trial.suggest_categorical(name, values) for name, values in SPACE.items()}
            if cell_key(params) not in self.seen or attempt == 19:
                break
            self.study.tell(trial, state=TrialState.PRUNED)  # as MOOptunaSearch does with a duplicate
        self.seen.add(cell_key(params))
        self.asked[trial_id] = trial
        return params

    def tell(self, trial_id: str, values: list[float] | None) -> None:
        if self.design == "grid":
            return
        from optuna.trial import TrialState

        trial = self.asked.pop(trial_id)
        if values is None:
            self.study.tell(trial, state=TrialState.PRUNED)
        else:
            self.study.tell(trial, values)


def replay(grid: dict[str, dict[str, Any]], design: str, scheduler_kind: str, seed: int, reference: np.ndarray) -> Run:
    """Run one design on the trained curves: WORKERS trials at a time, asynchronously, epochs timed as trained."""
    from ray.tune.schedulers import TrialScheduler

    from spikesweep.platform.pareto import hypervolume

    source, scheduler, run = Source(design, seed), make_scheduler(scheduler_kind), Run()
    budget = SEARCH_BUDGET * 48 * BASE["epochs"] if design != "grid" else float("inf")
    events: list[tuple[float, int, str]] = []  # (time the epoch ends, tie-breaker, trial id)
    state: dict[str, tuple[ReplayTrial, list[dict[str, float]], int]] = {}
    counter = itertools.count()

    def start(now: float) -> None:
        if run.epochs >= budget:
            return
        trial_id = f"t{next(counter)}"
        params = source.next(trial_id)
        if params is None:
            return
        trial = ReplayTrial(trial_id, params)
        curve = grid[cell_key(params)]["curve"]
        if scheduler is not None:
            scheduler.on_trial_add(None, trial)
        state[trial_id] = (trial, curve, 0)
        heapq.heappush(events, (now + curve[0]["seconds"], next(counter), trial_id))

    for _ in range(WORKERS):
        start(0.0)
    while events:
        now, _, trial_id = heapq.heappop(events)
        trial, curve, done = state[trial_id]
        point = curve[done]
        done += 1
        run.epochs += 1
        state[trial_id] = (trial, curve, done)
        result = {"epoch": done, "accuracy": point["accuracy"], "energy_mj": point["energy_mj"]}
        decision = TrialScheduler.CONTINUE
        if scheduler is not None and done < len(curve):
            decision = scheduler.on_trial_result(None, trial, result)
        if done < len(curve) and decision == TrialScheduler.CONTINUE:
            heapq.heappush(events, (now + curve[done]["seconds"], next(counter), trial_id))
            continue
        finished = done == len(curve)
        if scheduler is not None:
            scheduler.on_trial_complete(None, trial, result)
        values = [point["accuracy"], point["energy_mj"]]
        source.tell(trial_id, values if finished else None)
        if finished:
            run.complete.append((cell_key(trial.config), values))
            volume = hypervolume([v for _, v in run.complete], list(OBJECTIVES.values()), reference)
            run.curve.append((run.epochs, volume))
        else:
            run.pruned.append(cell_key(trial.config))
        start(now)
    return run


def curve_at(curve: list[tuple[int, float]], epochs: np.ndarray) -> np.ndarray:
    """The hypervolume reached by each budget in `epochs` (a step function of the run's curve)."""
    xs = np.array([x for x, _ in curve])
    ys = np.array([y for _, y in curve])
    return np.array([ys[np.searchsorted(xs, e, side="right") - 1] for e in epochs])


def summarise(grid_rows: list[dict[str, Any]], out: Path, seeds: list[int]) -> list[dict[str, Any]]:
    """Replay every design x scheduler for every seed; the table rows (also written as JSON, markdown, PNG)."""
    from spikesweep.platform.pareto import front_of, hypervolume, reference_point

    grid = {cell_key(row["params"]): row for row in grid_rows}
    keys = list(grid)
    finals = np.array([[grid[k]["curve"][-1][o] for o in OBJECTIVES] for k in keys])
    directions = list(OBJECTIVES.values())
    front = front_of(finals, directions)
    assert front is not None
    # reference: the nadir of the grid's front plus 10 % of its range (`pareto.reference_point` of the front), so
    # the hypervolume measures the front's region rather than the box up to the worst cell (acc 0.1, 20x energy)
    reference = reference_point(finals[front.indices()], directions)
    full_hv = hypervolume(finals[front.indices()], directions, reference)
    front_keys = {keys[i] for i in front.indices()}
    cheap = {k for k in front_keys if grid[k]["curve"][-1]["energy_mj"] <= np.median(finals[front.indices(), 1])}
    grid_epochs = sum(len(row["curve"]) for row in grid_rows)
    budgets = np.arange(0, grid_epochs + 1)
    rows, curves = [], {}
    for design in ("grid", "tpe", "nsga2", "random"):
        for kind in ("none", "asha", "moasha"):
            runs = [replay(grid, design, kind, seed, reference) for seed in seeds]
            mean_curve = np.mean([curve_at(r.curve, budgets) for r in runs], axis=0) / full_hv
            curves[f"{design}+{kind}"] = mean_curve
            reach = [next((e for e, v in r.curve if v >= 0.95 * full_hv), None) for r in runs]
            lost = [len(front_keys - {k for k, _ in r.complete}) for r in runs]
            lost_pruned = [len(front_keys & set(r.pruned)) for r in runs]
            rows.append(
                {
                    "design": design,
                    "scheduler": kind,
                    "epochs": float(np.mean([r.epochs for r in runs])),
                    "epochs_pct_of_grid": 100 * float(np.mean([r.epochs for r in runs])) / grid_epochs,
                    "hv_ratio": float(np.mean([r.curve[-1][1] for r in runs]) / full_hv),
                    "hv_at_30pct": float(mean_curve[int(0.3 * grid_epochs)]),
                    "epochs_to_95pct_pct": (
                        100 * float(np.mean(reach)) / grid_epochs if all(e is not None for e in reach) else None
                    ),
                    "trials_complete": float(np.mean([len(r.complete) for r in runs])),
                    "trials_pruned": float(np.mean([len(r.pruned) for r in runs])),
                    "front_points_pruned": float(np.mean(lost_pruned)),
                    "cheap_front_points_pruned": float(np.mean([len(cheap & set(r.pruned)) for r in runs])),
                    "front_points_missed": float(np.mean(lost)),
                }
            )
            print(json.dumps(rows[-1]))
    out.mkdir(parents=True, exist_ok=True)
    meta = {
        "grid_epochs": grid_epochs,
        "grid_hypervolume": full_hv,
        "front_size": len(front_keys),
        "cheap_front_points": len(cheap),
        "seeds": seeds,
        "workers": WORKERS,
        "eta": ETA,
        "grace": GRACE,
        "search_budget_pct": 100 * SEARCH_BUDGET,
        "epochs_per_trial": BASE["epochs"],
    }
    (out / "bench_search.json").write_text(json.dumps({"meta": meta, "rows": rows}, indent=1))
    (out / "bench_search.md").write_text(table(rows, meta))
    plot(curves, budgets / grid_epochs, out / "bench_search.png")
    return rows


def table(rows: list[dict[str, Any]], meta: dict[str, Any]) -> str:
    """The rows as a markdown table, with what they were measured on."""
    lines = [
        f"grid: 48 cells x {meta['epochs_per_trial']} epochs = {meta['grid_epochs']} epochs, front of "
        f"{meta['front_size']} ({meta['cheap_front_points']} in its cheaper half), hypervolume "
        f"{meta['grid_hypervolume']:.4g}; search designs start trials until "
        f"{meta['search_budget_pct']:.0f} % of the grid's epochs are spent; mean over seeds "
        f"{meta['seeds']}; {meta['workers']} trials at a time; rungs grace {meta['grace']}, eta {meta['eta']:g}",
        "",
        "| design | scheduler | epochs (% of grid) | HV / grid HV | HV at 30 % epochs | epochs to 95 % HV "
        "| complete / pruned | front pts pruned (cheap half) | front pts missed |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        reach = f"{r['epochs_to_95pct_pct']:.1f} %" if r["epochs_to_95pct_pct"] is not None else "never"
        lines.append(
            f"| {r['design']} | {r['scheduler']} | {r['epochs']:.0f} ({r['epochs_pct_of_grid']:.1f} %) "
            f"| {r['hv_ratio']:.3f} | {r['hv_at_30pct']:.3f} | {reach} "
            f"| {r['trials_complete']:.1f} / {r['trials_pruned']:.1f} "
            f"| {r['front_points_pruned']:.1f} ({r['cheap_front_points_pruned']:.1f}) "
            f"| {r['front_points_missed']:.1f} |"
        )
    return "\n".join(lines) + "\n"


def plot(curves: dict[str, np.ndarray], fraction: np.ndarray, path: Path) -> None:
    """Hypervolume (share of the grid's) against epochs (share of the grid's), one line per design."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, 4, figsize=(16, 4), sharey=True)
    styles = {"none": "-", "asha": ":", "moasha": "--"}
    for ax, design in zip(axes, ("grid", "tpe", "nsga2", "random")):
        for kind, style in styles.items():
            ax.plot(fraction, curves[f"{design}+{kind}"], style, label=kind)
        ax.axhline(0.95, color="grey", lw=0.5)
        ax.set_title(design)
        ax.set_xlabel("epochs / grid epochs")
        ax.set_xlim(0, 1)
    axes[0].set_ylabel("hypervolume / grid hypervolume (mean of seeds)")
    axes[0].legend()
    figure.tight_layout()
    figure.savefig(path, dpi=80)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--grid-json",
        type=Path,
        default=ROOT / "benchmarks/results/search_grid_digits.json",
        help="trained per-epoch curves (trained and written here when missing or incomplete)",
    )
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/results", help="table, JSON and PNG")
    parser.add_argument("--seeds", default="0,1,2", help="search seeds (comma-separated)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    rows = train_grid(args.grid_json)
    summarise(rows, args.out, [int(s) for s in args.seeds.split(",")])
    print((args.out / "bench_search.md").read_text())


if __name__ == "__main__":
    main()
