"""The Markov-chain companion chapter (the related theory result, book chapter "theory_markov"): the exact
simulation lives in `reasonlab.sim`; this module loads or computes the chapter's result, decides its claims and
collects the numbers its prose quotes.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..provenance import load_result, save_result, to_jsonable
from ..sim.markov import (GRID_BETA, GRID_EPS, GRID_K, GRID_M, RESULT_NAME, SimConfig, chapter_config,  # noqa: F401
                          run_chapter)
from .claims import REPRODUCED, Claim, all_or_some


# == data ============================================================================================================

CHAPTER = "theory_markov"


@dataclass
class Markov:
    """The chapter's data: the exact simulation's result for one config (its knobs), with its manifest."""

    config: SimConfig
    data: dict
    manifest: dict


def load(scale: str = "laptop", seed: int = 0, fresh: bool = False, **knobs) -> Markov:
    """The chapter's result at `scale` with the knobs of `sim.markov.chapter_config` (eps_w, beta, m, steps,
    shared_edge): the committed one when its config is this one; otherwise (other knobs, or fresh) computed now, in
    seconds (an exact simulation, nothing trains). Only a fresh non-smoke run replaces the committed result, so CI's
    smoke run cannot overwrite it and a reader's knob changes do not either. The paper scale has no sampled checks of
    its own: it reads the gpu scale's."""
    cfg = chapter_config("gpu" if scale == "paper" else scale, seed, **knobs)
    if not fresh:
        committed = load_result(RESULT_NAME)
        if committed["manifest"]["config"] == to_jsonable(cfg):
            return Markov(cfg, committed["data"], committed["manifest"])
        result = run_chapter(cfg)
        result["manifest"]["computed_now"] = "the notebook's knobs differ from the committed result's"
        return Markov(cfg, result["data"], result["manifest"])
    result = run_chapter(cfg)
    if cfg.scale != "smoke":
        save_result(RESULT_NAME, result["data"], result["manifest"])
    return Markov(cfg, result["data"], result["manifest"])


# == rules ===========================================================================================================

SMALL_MARGIN = 0.01  # a pass@k_max drop below this is reported as "by a small margin" beside the verdict

CLAIM_TEXT = {
    "rlvr_cross": "Plain RLVR raises pass@1 and lowers pass@k_max (the curves cross)",
    "forgetting": "RLVR on task 1 makes task 2 forget its easy path (through the shared edge)",
    "control": "Control: without the shared edge task 2 does not forget",
    "preserve_rejection": "Rejection of easy instances keeps rare paths alive (more pass@k_max and rare-chain mass "
                          "than RLVR)",
    "preserve_kl": "KL regularisation keeps rare paths alive",
    "rerank_orm": "ORM best-of-N concentrates on the common path (more easy mass, less pass@k_max than the base)",
    "rerank_prm": "PRM greedy-by-value concentrates on the common path",
}


# == verdicts ========================================================================================================

def verdicts(data: dict) -> dict:
    """Each claim's verdict and the numbers it rests on."""
    m = data["main"]["methods"]
    p1 = {k: v["task1"]["pass_at_k"][0] for k, v in m.items()}
    pK = {k: v["task1"]["pass_at_k"][-1] for k, v in m.items()}
    t2_1 = {k: v["task2"]["pass_at_k"][0] for k, v in m.items()}
    t2_K = {k: v["task2"]["pass_at_k"][-1] for k, v in m.items()}
    hard = {k: v["task1"]["hard_mass"] for k, v in m.items()}
    ctrl = data["control"]

    verdict = all_or_some
    v = {}
    v["rlvr_cross"] = verdict([p1["rlvr"] > p1["base"], pK["rlvr"] < pK["base"]])
    v["forgetting"] = verdict([t2_K["rlvr"] < t2_K["base"] - 0.05,
                               m["rlvr"]["task2"]["easy_mass"] < 0.5 * m["base"]["task2"]["easy_mass"]])
    v["control"] = verdict([abs(ctrl["rlvr"]["task2"][-1] - ctrl["base"]["task2"][-1]) < 0.05])
    v["preserve"] = {name: verdict([pK[name] > pK["rlvr"], hard[name] > hard["rlvr"]])
                     for name in ("rejection", "kl")}
    v["rerank"] = {name: verdict([m[name]["task1"]["easy_mass"] > m["base"]["task1"]["easy_mass"],
                                  pK[name] < pK["base"]]) for name in ("orm", "prm")}
    return {"verdict": v, "pass1": p1, "passK": pK, "task2_pass1": t2_1, "task2_passK": t2_K, "hard_mass": hard}


def claims(ch: Markov) -> list[Claim]:
    """The theory's claims with the simulation's verdicts (every part of a claim must hold for "reproduced")."""
    data = ch.data
    v = verdicts(data)
    flat = {k: val for k, val in v["verdict"].items() if isinstance(val, str)}
    flat |= {f"{k}_{name}": val for k, d in v["verdict"].items() if isinstance(d, dict) for name, val in d.items()}
    k_max = data["main"]["k"][-1]
    out = []
    for key, text in CLAIM_TEXT.items():
        ours = ""
        if key == "rlvr_cross":
            gap = v["passK"]["base"] - v["passK"]["rlvr"]
            ours = (f"pass@1 {v['pass1']['base']:.3f} -> {v['pass1']['rlvr']:.3f}, pass@{k_max} "
                    f"{v['passK']['base']:.3f} -> {v['passK']['rlvr']:.3f}"
                    + (" (by a small margin)" if flat[key] == REPRODUCED and gap < SMALL_MARGIN else ""))
        out.append(Claim(CHAPTER, text.replace("k_max", str(k_max)), "the theory paper's propositions (companion)",
                         ours or "exact simulation, see the chapter's figures", flat[key],
                         "reproduced when every part of the claim holds in the exact simulation; partly when some do"))
    return out


def numbers(ch: Markov) -> dict:
    """Flat name -> value map of every number the chapter's prose quotes (glued into the text), the knobs of the
    result's config among them."""
    data, config = ch.data, ch.manifest["config"]
    m, v = data["main"]["methods"], verdicts(data)
    short = {"base": "base", "rlvr": "rlvr", "rejection": "rej", "kl": "kl", "kl_opt": "klopt", "orm": "orm",
             "prm": "prm", "rlvr_sampled": "mc"}
    out = {"k_max": data["main"]["k"][-1],
           "acc_easy": data["main"]["table"]["accuracy_task1"][0],
           "p_hard": data["main"]["table"]["p_hard_task1"],
           "acc_easy_t2": max(data["main"]["table"]["accuracy_task2"]),
           "cross_gap": m["base"]["task1"]["pass_at_k"][-1] - m["rlvr"]["task1"]["pass_at_k"][-1]}
    for name, s in short.items():
        t1, t2 = m[name]["task1"], m[name]["task2"]
        out |= {f"{s}_p1": t1["pass_at_k"][0], f"{s}_pK": t1["pass_at_k"][-1], f"{s}_hardK": t1["pass_at_k_hard"][-1],
                f"{s}_easy": t1["easy_mass"], f"{s}_hard": t1["hard_mass"], f"{s}_invalid": t1["invalid_mass"],
                f"{s}_H": t1["entropy_bits"], f"t2_{s}_p1": t2["pass_at_k"][0], f"t2_{s}_pK": t2["pass_at_k"][-1],
                f"t2_{s}_easy": t2["easy_mass"]}
    ctrl = data["control"]
    out |= {"ctrl_t2_base_pK": ctrl["base"]["task2"][-1], "ctrl_t2_rlvr_pK": ctrl["rlvr"]["task2"][-1]}
    # the largest eps_w in the grid: where the crossing is widest
    big = [c for c in data["grid"]["cells"] if c["eps_w"] == max(data["grid"]["eps_w"])][0]
    out |= {"big_eps": big["eps_w"], "big_base_pK": big["base"]["task1"][-1], "big_rlvr_pK": big["rlvr"]["task1"][-1],
            "big_rej_pK": big["rejection"]["task1"][-1], "big_base_p1": big["base"]["task1"][0],
            "big_rlvr_p1": big["rlvr"]["task1"][0]}
    est = data["main"].get("estimator")
    if est:
        z = [abs(a - b) / max(s, 1e-12) for n in ("base", "rlvr") for a, b, s in
             zip(est[n]["mean"], est[n]["exact"], est[n]["se"])]
        out["est_max_z"] = max(z)
    out |= {f"v_{k}": val for k, val in v["verdict"].items() if isinstance(val, str)}
    out |= {f"v_{k}_{name}": val for k, d in v["verdict"].items() if isinstance(d, dict) for name, val in d.items()}
    m_sweep = data["m_sweep"]
    out |= {"m_min": m_sweep[0]["m"], "m_max": m_sweep[-1]["m"],
            "rej_p1_mmin": m_sweep[0]["rejection"]["task1"][0], "rej_p1_mmax": m_sweep[-1]["rejection"]["task1"][0],
            "rej_hard_mmin": m_sweep[0]["rejection"]["hard_mass"],
            "rej_hard_mmax": m_sweep[-1]["rejection"]["hard_mass"]}
    if config:
        out |= {"cfg_eps_w": config["chain"]["eps_w"], "cfg_beta": config["post"]["beta"], "cfg_m": config["post"]["m"],
                "cfg_steps": config["post"]["steps"], "cfg_orm_n": config["post"]["orm_n"],
                "cfg_n_chains": config["pretrain"]["n_chains"],
                "n_sets": 2 ** (config["chain"]["n_states"] ** (config["chain"]["n_layers"] - 2))}
    return out


# == figures and tables ==============================================================================================

# The simulation's figures live beside it, in reasonlab.sim.plots (plot_chain, plot_pass_at_k, ...).


# == controls ========================================================================================================

# reasonlab.sim.plots.widget_panel: sliders that rerun the exact simulation (live kernel only).
