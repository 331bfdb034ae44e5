"""Every public config refuses bad values at construction (issue 12): one table, each field, its bad values.

TABLE lists, for each config class, every dataclass field with values it must refuse (a ValueError whose message
names the field). test_every_field_is_in_the_table fails when a field is added without a row here, and
test_every_frozen_dataclass_is_listed fails when a new frozen dataclass appears in reasonlab without being
either in TABLE or in NOT_CONFIGS (with the reason it is not a config).
"""

import dataclasses
import re
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from reasonlab.evaluate import EvalSpec
from reasonlab.experiments.recipes import RL, Arm, Evaluation, NextToken, Recipe, Reward, get_recipe
from reasonlab.experiments.scales import SMOKE, Scale
from reasonlab.generator import Component, GeneratorConfig, Mixture, make_dataset
from reasonlab.generator.dag import DagLimits
from reasonlab.model import ModelPreset
from reasonlab.sim.markov import ChainConfig, EvalConfig, PostConfig, PretrainConfig, SimConfig
from reasonlab.train.edge_filter import EdgeFilter
from reasonlab.train.grpo import GRPORunConfig
from reasonlab.train.lm import LMTrainConfig

NAN, INF = float("nan"), float("inf")
MIX = Mixture.band(2, 4, "animals-zoo")
PRE = NextToken(MIX, 1000)


def _valid(cls):
    """Keyword arguments of a valid instance of cls (the table overrides one field at a time)."""
    return {
        GeneratorConfig: {}, DagLimits: {}, ChainConfig: {}, PretrainConfig: {}, PostConfig: {}, EvalConfig: {},
        SimConfig: {},
        Component: dict(template="A", op_lo=2, op_hi=4),
        Mixture: dict(components=(Component("A", 2, 4),)),
        ModelPreset: dict(hidden=64, layers=2, heads=2, kv_heads=1, intermediate=256),
        Scale: {f.name: getattr(SMOKE, f.name) for f in dataclasses.fields(Scale)},
        Reward: dict(kind="mix", alpha=0.2),
        NextToken: dict(mixture=MIX, tokens=1000),
        RL: dict(mixture=MIX, reward=Reward("outcome"), steps=2, prompts_per_step=4, rollouts=4),
        Arm: dict(name="base", pretrain=PRE),
        Evaluation: dict(bands=(("in_dist", 2, 4), ("edge", 5, 6)), templates=("A",), by_template=False,
                         problems_per_op=2, samples=4),
        Recipe: {f.name: getattr(get_recipe("ladder", "smoke"), f.name) for f in dataclasses.fields(Recipe)},
        EvalSpec: dict(bands=(("edge", 5, 6),)),
        LMTrainConfig: dict(mixture=MIX, total_tokens=6 * 2 * 64, preset="smoke", seq_len=64, batch_size=2,
                            warmup_frac=0.2),
        GRPORunConfig: dict(mixture=MIX, steps=2, prompts_per_step=4, rollouts=4, minibatch_prompts=2,
                            max_prompt_tokens=256, max_response_tokens=24, lr=1e-5),
        EdgeFilter: dict(pool=MIX),
    }[cls]


INT = (True, 1.5, "3")  # a bool, a float, a string where an integer count goes
FLOAT = (NAN, INF, True, "0.5")  # NaN, inf, a bool, a string where a number goes
BOOL = ("false", 0, None)  # a truthy string, an int, None where True/False goes

# {config class: {field: (bad values, substring the message must contain; None = the field's name)}}
TABLE = {
    GeneratorConfig: {
        "max_distractors": ((*INT, -1, 11), None),
        "shuffle_sentences": (BOOL, None),
        "variable_names": (("greek", None), None),
        "copy_steps": (BOOL, None),
        "max_value": ((*INT, 5, 10**7), None),
        "n_entities": ((*INT, 0, 21), None),
        "n_locations": ((*INT, 1, 17), None),
        "locations_per_problem": (((3, 2), (1, 8), (2,), "2-4", (True, 2), (1.0, 2), None), None),
    },
    DagLimits: {
        "max_value": ((*INT, 0), None),
        "const_range": (((0, 4), (4, 1), [1, 4], (1.5, 4)), None),
        "n_entities": ((*INT, 0), None),
        "n_locations": ((*INT, 1), None),
        "locations_per_problem": (((0, 2), (3, 2), None), None),
    },
    Component: {
        "template": (("Z", None, ["A"], 1), "template"),
        "op_lo": ((1, True, 2.0, "2"), "op range"),
        "op_hi": ((41, 3.5, None), "op range"),
        "weight": ((0, -1, *FLOAT, np.float32(1.0), Fraction(1, 2)), "component weight"),
        "op_tilt": ((-0.1, 5, *FLOAT), None),
    },
    Mixture: {
        "components": (((), (1,), (Component("A", 2, 4), "B2-4"), "A2-4",
                        (Component("A", 2, 4, 1e308), Component("B", 2, 4, 1e308)),  # sum inf: shares [0, 0]
                        (Component("A", 2, 4, 1e-320), Component("B", 2, 4, 1e300))), "component"),  # a share of 0
        "config": ((None, {}, SMOKE), None),
        "shapes": (("unseen", "", None, True, "held-out"), None),  # held-out needs ops >= 6 (these are 2-4)
    },
    ModelPreset: {
        "hidden": ((*INT, 0), None),
        "layers": ((*INT, 0), None),
        "heads": ((*INT, 0), None),
        "kv_heads": ((*INT, 0), None),
        "intermediate": ((*INT, 0), None),
        "max_positions": ((*INT, 4), None),
        "rope_theta": ((0, -1, *FLOAT), None),
        "rms_eps": ((0, 1, *FLOAT), None),
        "tied_embeddings": (BOOL, None),
        "init_std": ((0, 2, *FLOAT), None),
    },
    Scale: {
        "name": (("", "my scale", None, "../x", "a/b", ".smoke", "laptop"), "scale name"),  # laptop: other values
        "model": (("huge", None, "PAPER-100M"), None),
        "pretrain_tokens": ((*INT, 0), None),
        "seq_len": ((*INT, 0, 512.0), None),
        "batch_tokens": ((*INT, 0), None),
        "pretrain_lr": ((0, 1.0, -2e-3, *FLOAT), None),
        "pretrain_lr_min": ((0, 1.0, *FLOAT), None),
        "pretrain_warmup": ((1, -0.1, *FLOAT), None),
        "weight_decay": ((1, -0.1, *FLOAT), None),
        "mid_lr": ((0, 1.0, *FLOAT), None),
        "mid_lr_min": ((0, 1.0, *FLOAT), None),
        "mid_warmup": ((1, *FLOAT), None),
        "rl_steps": ((*INT, 0), None),
        "rl_prompts_per_step": ((*INT, 0), None),
        "rollouts": ((*INT, 1), None),
        "rl_max_prompt_tokens": ((*INT, 0), None),
        "rl_max_response_tokens": ((*INT, 0), None),
        "rl_lr": ((0, 1.0, *FLOAT), None),
        "rl_kl_coef": ((-1e-3, *FLOAT), None),
        "rl_minibatch_prompts": ((*INT, 0), None),
        "rl_temperature": ((0, 3, 1e-300, 0.001, np.float64(1.0), *FLOAT), None),
        "budget_rl_steps": ((*INT, 0), None),
        "budget_multipliers": (((), (0.0,), (1.0, NAN), (1.0, True), [1.0, 2.0], (1.0, 1.0), 2.0), None),
        "eval_problems_per_op": ((*INT, 0), None),
        "eval_samples": ((*INT, 0), None),
        "eval_temperature": ((-0.1, 2.5, 1e-300, *FLOAT), None),
        "eval_max_new_tokens": ((*INT, 0), None),
        "in_dist": (((1, 4), (2,), (2.0, 4), (True, 4), None), "band in_dist"),
        "edge": (((6, 5), (6, 7)), None),  # (6, 7): not contiguous with in_dist (2, 4)
        "hard": (((7, 41), (7, 7.5)), None),
        "generator": ((None, {}), None),
        "loss_on": (("question", None), None),
        "pretrain_tail": ((0, 0.5, -0.1, *FLOAT), None),
        "rl_eval_samples": ((*INT, -1, 5), None),  # 5 > eval_samples (4)
        "process_rl_steps": ((*INT, -1), None),
        "train_shapes": (("held-out", "SEEN", None), None),
        "context_ops": (((1, 4), (2, 4), (2,), (2.0, 9), (True, 9), (2, 41)), None),  # (2, 4): fewer than 4 ops
    },
    Reward: {
        "kind": (("hack", None, ["mix"]), "reward"),
        "alpha": ((*FLOAT, 1.5, -0.1, None), "alpha"),
    },
    NextToken: {
        "mixture": (("A2-4", None), None),
        "tokens": ((*INT, 0, -5), None),
        "run_tokens": ((*INT, 999, 0), "an integer >= tokens (1000)"),  # a run shorter than its checkpoint
    },
    RL: {
        "mixture": (("A2-4", None), None),
        "reward": (("outcome", None), None),
        "steps": ((*INT, 0), None),
        "prompts_per_step": ((*INT, 0), None),
        "rollouts": ((*INT, 1), None),
        "edge_filter": (("yes", MIX), None),
        "lr": ((0, 1.0, -1e-3, *FLOAT), None),  # None: the scale's rl_lr
        "kl_coef": ((-1e-3, 2.0, *FLOAT), None),  # None: the scale's rl_kl_coef
        "dtype": (("fp16", "", None, 32), "fp32"),
    },
    Arm: {
        "name": (("", "my arm", None, 3), "arm name"),
        "pretrain": ((None, MIX), None),
        "mid": (("x", MIX), None),
        "rl": ((PRE, "rl"), None),
        "params": (([("beta", 0.2)], (("beta",),), (("beta", 1), ("beta", 2)), ((3, 1),)), None),
    },
    Evaluation: {
        "bands": (((), (("a", 2, 4), ("b", 4, 6)), (("a", 1, 4),), (("a", 2, 4), ("a", 5, 6)), [("a", 2, 4)],
                   (("a", 2, 4.5),), (("", 2, 4),)), "band"),
        "templates": (((), ("Z",), ("A", "animals-zoo"), "A", (None,)), "template"),
        "by_template": (BOOL, None),
        "problems_per_op": ((*INT, 0), None),
        "samples": ((*INT, 0), None),
        "unseen": ((*BOOL, True), None),  # True: the base's in_dist (2-4) has no held-out shapes
    },
    Recipe: {
        "id": (("", "S 3", None, "../S3", "S3/x", "..", "-S3"), "recipe id"),
        "title": (("", None), None),
        "paper_ref": (("", None), None),
        "question": (("", None), None),
        "finding": (("", None), None),
        "compare": (("", None), None),
        "scale": (("smoke", None), None),
        "arms": (((), [], (PRE,)), "arms"),
        "evaluation": ((None, "eval"), None),
        "view_of": ((3, ""), None),
        "params": (([("a", 1)], (("a",),)), None),
    },
    EvalSpec: {
        "bands": (((), (("a", 2, 5), ("b", 5, 6)), (("a", 2, 50),), (("a", 2, True),)), "band"),
        "samples": ((*INT, 0), None),
        "temperature": ((-1, 3, 1e-300, 0.005, np.float32(0.7), Fraction(7, 10), *FLOAT), None),
        "top_p": ((0, 1.5, *FLOAT), None),
        "max_new_tokens": ((*INT, 0), None),
        "seed": (INT, None),
        "nll": (BOOL, None),
        "n_boot": ((*INT, 0), None),
    },
    LMTrainConfig: {
        "mixture": (("A2-4", None), None),
        "total_tokens": ((*INT, 10, 1e9), None),
        "preset": (("big", None), "preset"),
        "seq_len": ((*INT, 4, 4096, 64.0), None),
        "batch_size": ((*INT, 0, np.int64(2)), None),
        "micro_batch_size": ((*INT, -1, 3), None),  # 3 does not divide batch_size 2
        "lr": ((0, 1.0, -1e-3, *FLOAT), None),
        "min_lr": ((0, 1e-3, *FLOAT), None),  # 1e-3 > lr (2e-4)
        "warmup_frac": ((1.0, -0.1, *FLOAT), None),
        "weight_decay": ((1.0, -0.1, *FLOAT), None),
        "beta1": ((1.0, -0.1, *FLOAT), None),
        "beta2": ((1.0, -0.1, *FLOAT), None),
        "grad_clip": ((0, -1, *FLOAT), None),
        "loss_on": (("question", None), None),
        "split": (("test", None), None),
        "seed": (INT, None),
        "ckpt_every": ((*INT, -1), None),
        "log_every": ((*INT, 0), None),
        "dtype": (("fp16", None), None),
        "tokenizer": ((3, "", ["data/tokenizer"]), None),
    },
    GRPORunConfig: {
        "mixture": (("A2-4", None), None),
        "reward": (("strict", None, ("mix", 0.2)), None),  # a Reward's own values: the Reward rows above
        "steps": ((*INT, 0), None),
        "prompts_per_step": ((*INT, 0), None),
        "rollouts": ((*INT, 1), None),
        "lr": ((0, 1.0, np.float64(1e-5), np.float32(1e-5), Fraction(1, 100_000), *FLOAT), None),
        "kl_coef": ((-1e-3, *FLOAT), None),
        "clip_eps": ((0, 1.0, *FLOAT), None),
        "temperature": ((0, -1, 1e-300, 1e-3, 1e300, *FLOAT), None),
        "top_p": ((0, 1.5, *FLOAT), None),
        "max_prompt_tokens": ((*INT, 0), None),
        "max_response_tokens": ((*INT, 0), None),
        "minibatch_prompts": ((*INT, 0, 3), None),  # 3 does not divide prompts_per_step 4
        "micro_batch_rows": ((*INT, -1, 3), None),  # 3 does not divide minibatch rows 8
        "grad_clip": ((0, *FLOAT), None),
        "weight_decay": ((1.0, -0.1, *FLOAT), None),
        "generation": (("vllm", None), None),
        "dtype": (("fp16", None), None),
        "split": (("train", None), None),
        "seed": (INT, None),
        "ckpt_every": ((*INT, -1), None),
    },
    EdgeFilter: {
        "pool": (("2-5", None), None),
        "pool_size": ((*INT, 0), None),
        "k": ((*INT, 1), None),
        "refresh_every": ((*INT, 0), None),
        "success": (("outcome", None), None),
    },
    ChainConfig: {
        "n_layers": ((*INT, 2, 9), None),
        "n_states": ((*INT, 1, 5), None),
        "n_high": ((*INT, 0, 2), None),  # 2 = n_states leaves no low edge
        "eps_w": ((0, 1, *FLOAT), None),
        "shared_edge": (BOOL, None),
    },
    PretrainConfig: {
        "n_chains": ((*INT, 0), None),
        "batch_size": ((*INT, 0), None),
        "steps": ((*INT, 0), None),
        "lr": ((0, *FLOAT), None),
    },
    PostConfig: {
        "steps": ((*INT, -1), None),
        "lr": ((0, *FLOAT), None),
        "beta": ((0, *FLOAT), None),
        "m": ((*INT, 0), "m (probe samples"),
        "orm_n": ((*INT, 0), None),
        "n_checkpoints": ((*INT, 0), None),
    },
    EvalConfig: {
        "k_max": ((*INT, 0), None),
        "n_instances": ((*INT, 0), None),
        "n_samples": ((*INT, 100), None),  # 100 < k_max (256)
        "sampled_batch": ((*INT, 0), None),
    },
    SimConfig: {
        "chain": ((None, PostConfig()), None),
        "pretrain": ((None,), None),
        "post": ((None, ChainConfig()), None),
        "eval": ((None,), None),
        "seed": (INT, None),
        "scale": (("paper", None), None),
    },
}

# Frozen dataclasses in reasonlab that are records or results, not configs a user passes: why each is exempt.
NOT_CONFIGS = {
    "Claim": "a chapter's conclusion, built by the chapter code from results; it refuses a verdict outside the "
             "vocabulary (tests/test_chapters.py)",
    "Estimate": "a number with its interval, computed from results, never typed by a user",
    "GoldNode": "a gold-graph node built by the generator; Problem.from_dict validates records read from files",
    "Problem": "a generated problem; Problem.from_dict validates records read from files (tests/test_cli.py)",
    "Template": "vocabulary: the three module constants; get_template validates names",
    "Deviation": "a row of scales.deviations(), computed from two valid Scales",
    "BudgetSplit": "a result of budget.split_budget(), which validates its inputs",
    "Chain": "derived by sim.markov.build_chain from a validated ChainConfig",
    "Task": "derived by sim.markov.make_task from a validated Chain",
    "_Spec": "private recipe registry entry",
    "TakenCheckpoint": "derived by experiments.runner from a validated recipe's stages",
    "Column": "a k control's table column, derived by k_control.columns from a chapter's bands",
}


def _cases():
    for cls, fields in TABLE.items():
        for name, (bads, message) in fields.items():
            for i, bad in enumerate(bads):
                yield pytest.param(cls, name, bad, message or name, id=f"{cls.__name__}.{name}-{i}")


@pytest.mark.parametrize("cls, name, bad, message", list(_cases()))
def test_bad_value_is_refused(cls, name, bad, message):
    kwargs = {**_valid(cls), name: bad}
    with pytest.raises(ValueError) as e:
        cls(**kwargs)
    assert message in str(e.value), str(e.value)
    assert "\n" not in str(e.value)


@pytest.mark.parametrize("cls", list(TABLE), ids=lambda c: c.__name__)
def test_every_field_is_in_the_table(cls):
    cls(**_valid(cls))  # the base of the table is valid
    assert {f.name for f in dataclasses.fields(cls)} == set(TABLE[cls]), "add the new field's bad values to TABLE"


def test_every_frozen_dataclass_is_listed():
    root = Path(__file__).resolve().parent.parent / "reasonlab"
    found = set()
    for path in root.rglob("*.py"):
        found |= set(re.findall(r"@dataclass\(frozen=True[^)]*\)\s*\nclass (\w+)", path.read_text()))
    listed = {c.__name__ for c in TABLE} | set(NOT_CONFIGS)
    assert found == listed, f"not listed: {sorted(found - listed)}; gone: {sorted(listed - found)}"


@pytest.mark.parametrize("kw, message", [
    (dict(n=2.5), "n must be an integer >= 0 (not a bool), got 2.5"),  # refused, not rounded to 3
    (dict(n=True), "n must be an integer >= 0"),
    (dict(n=-1), "n must be an integer >= 0"),
    (dict(n="3"), "n must be an integer >= 0"),
    (dict(split="train"), "unknown split 'train'; allowed: pretrain, midtrain, rl, eval"),
    (dict(split=["eval"]), "unknown split"),
    (dict(seed=1.5), "seed must be an integer"),
    (dict(mixture="A2-4"), "mixture must be a reasonlab.generator.mixture.Mixture"),
])
def test_make_dataset_refuses(kw, message):
    args = {"mixture": MIX, "split": "eval", "n": 2, "seed": 0, **kw}
    with pytest.raises(ValueError) as e:
        make_dataset(**args)
    assert message in str(e.value)


def test_messages_say_what_is_allowed():
    with pytest.raises(ValueError, match=r"^batch_size must be an integer >= 1 \(not a bool\), got True$"):
        LMTrainConfig(**{**_valid(LMTrainConfig), "batch_size": True})
    with pytest.raises(ValueError, match=r"^copy_steps must be True or False, got 'false'$"):
        GeneratorConfig(copy_steps="false")
    with pytest.raises(ValueError, match=r"^smoke: model must be a model preset, one of paper-100m, smoke, "):
        dataclasses.replace(SMOKE, model="huge")
    with pytest.raises(ValueError, match=r"must not overlap \(an op belongs to one band\), got 'a' 2-4 and 'b' 4-6"):
        Evaluation((("a", 2, 4), ("b", 4, 6)), ("A",), False, 2, 4)
    with pytest.raises(ValueError, match=r"^lr must be in \(0, 0.1\] \(a finite number\), got nan$"):
        GRPORunConfig(**{**_valid(GRPORunConfig), "lr": NAN})


def test_valid_values_pass_unchanged():
    """Checks refuse, never coerce: an int where a float goes stays an int (config_hash sees what was passed)."""
    assert LMTrainConfig(**{**_valid(LMTrainConfig), "grad_clip": 2}).grad_clip == 2
    assert isinstance(Component("A", 2, 4, weight=1).weight, int)
    # lists become tuples only where JSON gives lists; they hash the same (config_hash sees a list either way)
    assert GeneratorConfig(locations_per_problem=[2, 3]) == GeneratorConfig(locations_per_problem=(2, 3))
    assert dataclasses.replace(SMOKE, in_dist=[2, 4]).in_dist == (2, 4)


# ------------------------------------------------------------------------------------ hostile values (issue 15)
@pytest.mark.parametrize("value", [np.float32(0.2), np.float64(0.2), Fraction(1, 5)])
def test_a_number_of_another_type_is_refused_with_what_to_pass(value):
    """A numpy scalar or a Fraction passes a range check, then breaks json.dumps in config_hash (or, np.float64,
    prints and compares apart from the float): refused at construction, the message says what to pass."""
    with pytest.raises(ValueError, match=r"pass a Python int or float"):
        GRPORunConfig(**{**_valid(GRPORunConfig), "lr": value})
    with pytest.raises(ValueError, match=r"pass a Python int or float"):
        Component("A", 2, 4, weight=value)


@pytest.mark.parametrize("alpha", [np.float32(0.2), Fraction(1, 5)])
def test_reward_alpha_of_another_type_is_refused(alpha):
    with pytest.raises(ValueError, match="must be a Python int or float in"):
        Reward("mix", alpha)


@pytest.mark.parametrize("make", [
    lambda t: EvalSpec(bands=(("edge", 5, 6),), temperature=t),
    lambda t: GRPORunConfig(**{**_valid(GRPORunConfig), "temperature": t}),
    lambda t: dataclasses.replace(SMOKE, name="smoke-t", rl_temperature=t),
], ids=["EvalSpec", "GRPORunConfig", "Scale"])
def test_a_temperature_the_sampler_cannot_honour_is_refused(make):
    """softmax(logits / T) in float32: T = 1e-300 is 0 there, and the sampler returned NaN log-probs and always the
    last token. The floor is MIN_TEMPERATURE; greedy is T = 0 where a config allows it (EvalSpec)."""
    from reasonlab.validation import MIN_TEMPERATURE

    for bad in (1e-300, 5e-324, MIN_TEMPERATURE / 2):
        with pytest.raises(ValueError, match=r"temperature must be .*0\.01.*softmax\(logits / T\) in float32"):
            make(bad)
    assert make(MIN_TEMPERATURE) is not None and make(1.0) is not None


def test_greedy_evaluation_stays_allowed():
    assert EvalSpec(bands=(("edge", 5, 6),), temperature=0).temperature == 0
    # GRPO samples its rollouts: no greedy temperature
    with pytest.raises(ValueError, match=r"temperature must be a finite number in \[0.01, 100\], got 0"):
        GRPORunConfig(**{**_valid(GRPORunConfig), "temperature": 0})


def test_a_scale_variant_cannot_take_a_builtin_name():
    """A scale's name names its result files: smoke's values under the name "laptop" would overwrite the committed
    laptop results."""
    with pytest.raises(ValueError, match=r"scale name 'laptop' is taken by the built-in scale, whose values differ "
                                         r"in model, pretrain_tokens"):
        dataclasses.replace(SMOKE, name="laptop")
    with pytest.raises(ValueError, match="differ in rl_steps; give a variant its own name"):
        dataclasses.replace(SMOKE, rl_steps=SMOKE.rl_steps + 1)
    assert dataclasses.replace(SMOKE, in_dist=[2, 4]) == SMOKE  # the same values: the same scale
    assert dataclasses.replace(SMOKE, name="smoke-long", rl_steps=9).rl_steps == 9  # a variant under its own name


@pytest.mark.parametrize("name", ["../laptop", "a/b", "..", ".hidden", "-x", "a b", "x" * 101, "laptop\n", "é"])
def test_names_that_reach_file_names_keep_to_a_safe_alphabet(name):
    from reasonlab.experiments.runner import result_name

    with pytest.raises(ValueError, match="letters, digits, '.', '_' and '-'"):
        result_name(name, "laptop")
    with pytest.raises(ValueError, match="scale name must be a name of ASCII letters"):
        result_name("S3", name)
    assert result_name("A.6.1", "laptop", rl_seed=1) == "A.6.1-laptop-rlseed1"
