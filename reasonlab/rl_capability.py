"""The "When does RL add capability?" chapter (paper.md section 5, S3 / Fig 3, Fig 10, Fig 11).

From one base model (the ladder chapter's), GRPO runs on four op ranges (top of in-dist, mixed, edge,
hard) and, beyond the paper, on prompts screened for the model's edge of competence. Every run and
the base are evaluated on the same held-out problems, so each comparison is paired: the difference
in pass@k is bootstrapped over problems.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .evaluate import pass_at_k
from .ladder import band_value
from .ladder import load_or_run as load_or_run_base
from .plots import plot_pass_at_k

RECIPE = "S3"
BANDS = ("in_dist", "edge", "hard")
# The paper's numbers (paper.md section 5, S3): the edge-band run on the edge band.
PAPER_EDGE_RUN = {"pass@1": (0.10, 0.50), "pass@128": (0.40, 0.85)}


def load_or_run(scale: str = "laptop", seed: int = 0, fresh: bool = False) -> tuple[dict, dict]:
    """(base result, S3 result): committed results, or (fresh; smoke always) run them now (runner.load_or_run)."""
    from .experiments.runner import load_or_run as load_or_run_recipe

    return load_or_run_base(scale, seed, fresh), load_or_run_recipe(RECIPE, scale, seed, fresh)


def table(base: dict, s3: dict) -> pd.DataFrame:
    """The tidy evaluation table of the base (model "base") and every RL arm."""
    return pd.concat([pd.DataFrame(base["data"]["table"]), pd.DataFrame(s3["data"]["table"])], ignore_index=True)


def records(base: dict, s3: dict) -> dict[str, list[dict]]:
    """Per-problem records {model: [...]}, the base first."""
    return {"base": base["data"]["records"]["base"], **s3["data"]["records"]}


def arms(s3: dict) -> list[str]:
    return list(s3["data"]["records"])


def _per_problem(recs: list[dict], lo: int, hi: int, k: int) -> dict[str, float]:
    return {r["text_hash"]: pass_at_k(r["n"], r["verified"], k) for r in recs if lo <= r["op"] <= hi}


def paired_delta(recs: dict[str, list[dict]], arm: str, band: tuple[int, int], k: int, n_boot: int = 2000,
                 seed: int = 0) -> tuple[float, float, float]:
    """Mean over problems of pass@k(arm) - pass@k(base) on `band`, with a paired 95% bootstrap interval."""
    base = _per_problem(recs["base"], *band, k)
    ours = _per_problem(recs[arm], *band, k)
    keys = sorted(set(base) & set(ours))
    if not keys:
        raise ValueError(f"no common problems for {arm} on ops {band}")
    d = np.array([ours[h] - base[h] for h in keys])
    rng = np.random.default_rng(seed)
    boots = d[rng.integers(0, len(d), size=(n_boot, len(d)))].mean(1)
    return float(d.mean()), float(np.quantile(boots, 0.025)), float(np.quantile(boots, 0.975))


def band_ranges(recipe) -> dict[str, tuple[int, int]]:
    return {label: (lo, hi) for label, lo, hi in recipe.evaluation.bands}


def deltas(recs: dict[str, list[dict]], recipe, k_max: int) -> pd.DataFrame:
    """Paired pass@1 and pass@k_max changes vs the base, per arm and eval band."""
    rows = []
    for arm in [a for a in recs if a != "base"]:
        for band, rng in band_ranges(recipe).items():
            for k in (1, k_max):
                d, lo, hi = paired_delta(recs, arm, rng, k)
                rows.append({"arm": arm, "band": band, "k": k, "delta": d, "lo": lo, "hi": hi})
    return pd.DataFrame(rows)


def _sign(d: float, lo: float, hi: float) -> str:
    return "up" if lo > 0 else "down" if hi < 0 else "flat"


# Verdict rules (fixed before the issue-11 runs on the op 2-9 base; lab notes). A change is "up" only when its
# paired 95% interval lies above zero. "partly" is kept for a claim whose discriminating part holds for some arms
# but not all; a criterion that a model which learns nothing also meets never carries a verdict on its own.
HARD_REWARD_MAX = 0.05  # "almost no reward": mean training reward of the hard-band run below this
EDGE_REWARD_MIN = 0.10  # ... while the edge-band run from the same base does get reward (the contrast)


def verdicts(dt: pd.DataFrame, logs: dict, roles: dict[str, str], k_max: int, flat_tol: float = 0.05) -> pd.DataFrame:
    """The paper's S3 claims, each with our numbers and a verdict: reproduced, partly, or not reproduced.

    Rules (a null model, one RL does not change, gets "not reproduced" on every claim):
    - in-dist: pass@1 up for every arm that gets reward (all but the hard arm) and |pass@k_max change| <= flat_tol
      for each; "partly" when some but not all of those arms are up and flat;
    - edge RL raises edge (hard) pass@k_max: the interval lies above zero;
    - only edge-calibrated RL: the edge arm's edge pass@k_max is up and larger than the in-dist and hard arms';
    - hard RL learns nothing: its mean reward < HARD_REWARD_MAX and no band up, while the edge arm's mean reward
      >= EDGE_REWARD_MIN (without that contrast, "no reward" is what a base with no edge shows everywhere)."""
    by_role = {role: arm for arm, role in roles.items()}
    get = lambda arm, band, k: dt[(dt.arm == arm) & (dt.band == band) & (dt.k == k)].iloc[0]  # noqa: E731
    fmt = lambda r: f"{r.delta:+.3f} [{r.lo:+.3f}, {r.hi:+.3f}]"  # noqa: E731
    up = lambda r: _sign(r.delta, r.lo, r.hi) == "up"  # noqa: E731
    rows = []

    fixed = [a for a, r in roles.items() if r in ("in-dist", "mixed", "edge", "hard")]
    rewarded = [a for a in fixed if a != by_role.get("hard")]
    ok = [up(get(a, "in_dist", 1)) and abs(get(a, "in_dist", k_max).delta) <= flat_tol for a in rewarded]
    nums = "; ".join(f"{a}: pass@1 {fmt(get(a, 'in_dist', 1))}, pass@{k_max} {fmt(get(a, 'in_dist', k_max))}"
                     for a in fixed)
    rows.append(("In-dist eval: pass@1 rises, pass@k_max stays flat (every run that gets reward)", nums,
                 "reproduced" if ok and all(ok) else "partly" if any(ok) else "not reproduced"))

    if "edge" in by_role:
        e = by_role["edge"]
        for band in ("edge", "hard"):
            r = get(e, band, k_max)
            rows.append((f"Edge-band RL raises {band}-band pass@k_max", fmt(r),
                         "reproduced" if up(r) else "not reproduced"))
        r_edge = get(e, "edge", k_max)
        others = {a: get(a, "edge", k_max) for a in (by_role.get("in-dist"), by_role.get("hard")) if a}
        beats = all(r_edge.delta > o.delta for o in others.values())
        rows.append(("Only edge-calibrated RL raises edge pass@k_max (more than in-dist or hard RL)",
                     "; ".join(f"{a}: {fmt(o)}" for a, o in {e: r_edge, **others}.items()),
                     "reproduced" if beats and up(r_edge) else "not reproduced"))
    if "hard" in by_role:
        h = by_role["hard"]
        rew = mean_reward(logs, h)
        edge_rew = mean_reward(logs, by_role["edge"]) if "edge" in by_role else float("nan")
        changes = [get(h, b, k_max) for b in ("edge", "hard")]
        no_gain = not any(up(r) for r in changes)
        rows.append(("Hard-band RL sees almost no reward and learns nothing out of distribution",
                     f"mean training reward {rew:.4f} (edge run: {edge_rew:.4f}); edge {fmt(changes[0])}, "
                     f"hard {fmt(changes[1])}",
                     "reproduced" if rew < HARD_REWARD_MAX and no_gain and edge_rew >= EDGE_REWARD_MIN
                     else "not reproduced"))
    out = pd.DataFrame(rows, columns=["claim (paper)", "ours: paired change vs base [95% CI]", "verdict"])
    out["claim (paper)"] = out["claim (paper)"].str.replace("k_max", str(k_max))
    return out


def mean_reward(logs: dict, arm: str) -> float:
    """Mean training reward of an arm's GRPO steps (nan without a log)."""
    rew = [row.get("reward_mean") for row in logs.get(arm, {}).get("rl", []) if row.get("reward_mean") is not None]
    return float(np.mean(rew)) if rew else float("nan")


def base_before_rl(t: pd.DataFrame, k_max: int) -> str:
    """One sentence: the base's verified pass@k per band with intervals, what RL has to work with."""
    base = t[t.model == "base"]

    def at(band, k):
        return "{:.3f} [{:.3f}, {:.3f}]".format(*band_value(base, band, "pass@k", k))
    return (f"**The base model before RL** (verified, 95% intervals): in-dist pass@1 {at('in_dist', 1)}; edge pass@1 "
            f"{at('edge', 1)} and pass@{k_max} {at('edge', k_max)}; hard pass@{k_max} {at('hard', k_max)}. "
            f"An edge pass@{k_max} above zero is what lets edge-band RL be rewarded on verified solutions at all.")


def rl_seed_results(scale: str = "laptop", seed: int = 0) -> dict[int, dict]:
    """{rl_seed: result} of the committed reruns of some S3 arms with another RL seed from the same base
    (`python -m reasonlab run S3 --rl-seed N --arm ...`), for rl_seed 1, 2, ... while they exist."""
    from .experiments.runner import result_name
    from .provenance import load_result

    out = {}
    for rl_seed in range(1, 10):
        try:
            out[rl_seed] = load_result(result_name(RECIPE, scale, seed, rl_seed))
        except FileNotFoundError:
            break
    return out


def verdicts_over_seeds(by_seed: dict[int, pd.DataFrame]) -> pd.DataFrame:
    """One row per claim: the verdict of each RL seed that can decide it (its arms ran with that seed) and the
    combined verdict: "reproduced" or "not reproduced" when every seed agrees, "seeds disagree" otherwise."""
    merged = None
    for rl_seed, v in by_seed.items():
        col = v[["claim (paper)", "verdict"]].rename(columns={"verdict": f"RL seed {rl_seed}"})
        merged = col if merged is None else merged.merge(col, on="claim (paper)", how="left")
    cols = [c for c in merged.columns if c.startswith("RL seed")]

    def combine(row):
        vs = {row[c] for c in cols if isinstance(row[c], str)}
        return vs.pop() if len(vs) == 1 else "seeds disagree"
    merged["verdict"] = merged.apply(combine, axis=1)
    return merged


def plot_fig3(axes, t: pd.DataFrame, models: list[str], bands=BANDS, labels: dict | None = None) -> None:
    """pass@k curves (95% CI) of each model, one panel per eval band: the paper's Fig 3."""
    # the base last: drawn on top, and its ks (it may have more samples than the arms) set the axis
    models = [m for m in models if m != "base"] + (["base"] if "base" in models else [])
    for ax, band in zip(axes, bands):
        for m in models:
            rows = t[(t.model == m) & (t.group == "band") & (t.key == band) & (t.metric == "pass@k")].sort_values("k")
            if len(rows):
                style = {"color": "black", "linestyle": "--", "zorder": 5} if m == "base" else {}
                plot_pass_at_k(ax, rows.k.astype(int).tolist(), rows.value, rows.lo, rows.hi,
                               label=(labels or {}).get(m, m), **style)
        ax.set_title(f"eval: {band}")
    axes[0].legend(fontsize=8)


def plot_nll_reduction(ax, t: pd.DataFrame, models: list[str], bands=BANDS) -> None:
    """Mean gold-solution NLL per token, base minus model, per eval band (the paper's Fig 10)."""
    nll = t[(t.group == "band") & (t.metric == "nll")].set_index(["model", "key"]).value
    width = 0.8 / max(1, len(models))
    for i, m in enumerate(models):
        vals = [nll.get(("base", b), np.nan) - nll.get((m, b), np.nan) for b in bands]
        ax.bar(np.arange(len(bands)) + i * width, vals, width, label=m)
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_xticks(np.arange(len(bands)) + width * (len(models) - 1) / 2, bands)
    ax.set(ylabel="NLL reduction (nats/token)", title="gold-solution NLL: base minus RL model")
    ax.legend(fontsize=8)


def plot_rl_log(ax, logs: dict, models: list[str], key: str = "reward_mean") -> None:
    """A GRPO log column per step for each run: "reward_mean" (the paper's Fig 11) or "frac_zero_std"
    (the share of prompt groups whose rewards have no spread, so no gradient)."""
    for m in models:
        rows = logs.get(m, {}).get("rl", [])
        if rows:
            ax.plot([r["step"] for r in rows], [r.get(key) for r in rows], label=m)
    labels = {"reward_mean": ("mean reward", "training reward"),
              "frac_zero_std": ("share of groups", "groups with zero reward variance")}
    ylabel, title = labels.get(key, (key, key))
    ax.set(xlabel="GRPO step", ylabel=ylabel, ylim=(-0.02, 1.02), title=title)
    if key == "reward_mean":
        ax.legend(fontsize=8)
