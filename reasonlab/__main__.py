"""Command line: list recipes, generate problems, verify completions.

    python -m reasonlab recipes [--show ID] [--scale SCALE]
    python -m reasonlab scales [--show SCALE]
    python -m reasonlab generate --recipe ID [--arm ARM] --stage pretrain|mid|rl|eval --n N [--scale S] --out FILE
    python -m reasonlab generate --op-range 2-10 [--template animals-zoo] --split eval --n 100 --out FILE
    python -m reasonlab verify --problems P.jsonl --completions C.jsonl [--json]
    python -m reasonlab run RECIPE [--scale S] [--arm ARM ...] [--seed N] [--rl-seed N] [--max-minutes M]

Bad arguments print a message saying what is allowed and exit with status 2 (no traceback).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import sys
from collections import defaultdict
from pathlib import Path

from .evaluate import pass_at_k, powers_of_two_up_to
from .experiments.recipes import STAGE_SPLIT, STAGES, get_recipe, list_recipes
from .experiments.runner import run_recipe
from .experiments.scales import SCALES, deviations, get_scale
from .generator import DEFAULT_CONFIG, MAX_OP, SPLITS, Mixture, Problem, make_dataset
from .verify import verify


class CliError(Exception):
    """A user error: printed as one message, exit status 2."""


# ------------------------------------------------------------------------------------ recipes
def cmd_recipes(args) -> int:
    if args.show:
        print(get_recipe(args.show, args.scale or "laptop").describe())
        return 0
    scale = args.scale or "laptop"
    rows = [(r.id, r.title, r.paper_ref.split(" (")[0], str(len(r.arms)), r.view_of or "")
            for r in (get_recipe(i, scale) for i in list_recipes())]
    _print_table(("id", "title", "figure", "arms", "runs of"), rows)
    print(f"\n(arm counts at scale {scale}; details: python -m reasonlab recipes --show ID --scale SCALE)")
    return 0


def cmd_scales(args) -> int:
    if args.show:
        s = get_scale(args.show)
        for f in s.__dataclass_fields__:
            print(f"{f:24} {getattr(s, f)}")
        devs = deviations(s)
        print(f"\n{len(devs)} deviations from the paper:")
        _print_table(("field", "paper", "ours", "reason"),
                     [(d.field, str(d.paper), str(d.ours), d.reason) for d in devs])
        return 0
    rows = [(s.name, s.model, f"{s.pretrain_tokens:,}", f"{s.in_dist[0]}-{s.in_dist[1]}",
             f"{s.edge[0]}-{s.edge[1]}", f"{s.hard[0]}-{s.hard[1]}", str(len(deviations(s)))) for s in SCALES.values()]
    _print_table(("scale", "model", "pretrain tokens", "in_dist", "edge", "hard", "deviations"), rows)
    return 0


# ------------------------------------------------------------------------------------ generate
def parse_op_range(text: str) -> tuple[int, int]:
    msg = f"bad op range {text!r:.60}: expected LO-HI with 2 <= LO <= HI <= {MAX_OP} in ASCII digits, e.g. 2-10"
    parts = text.split("-")
    if len(parts) == 1:
        parts = parts * 2  # "7" means 7-7
    # str.isdigit accepts '²' and other digits int() refuses; more than 3 digits is out of range anyway
    if len(parts) != 2 or not all(re.fullmatch(r"[0-9]{1,3}", p.strip()) for p in parts):
        raise CliError(msg)
    lo, hi = (int(p) for p in parts)
    if not 2 <= lo <= hi <= MAX_OP:
        raise CliError(msg)
    return lo, hi


def _problems_from_recipe(args) -> list:
    if args.op_range or args.template or args.split:
        raise CliError("--recipe cannot be combined with --op-range, --template or --split "
                       "(the recipe's stage fixes the mixture and split)")
    if not args.stage:
        raise CliError(f"--recipe needs --stage; allowed: {', '.join(STAGE_SPLIT)}")
    recipe = get_recipe(args.recipe, args.scale or "laptop")
    if args.stage == "eval":  # recipe-level: every eval op, --n problems per op (per template where split)
        sets = recipe.evaluation.problem_sets(recipe.scale, args.seed, args.n)
        return [p for probs in sets.values() for p in probs]
    if not args.arm:
        arms = ", ".join(a.name for a in recipe.arms)
        raise CliError(f"--stage {args.stage} needs --arm; arms of {recipe.id}: {arms}")
    arm = recipe.arm(args.arm)
    stage = arm.stages.get(args.stage)
    if stage is None:
        raise CliError(f"arm {arm.name} of {recipe.id} has no {args.stage} stage; its stages: {', '.join(arm.stages)}")
    return make_dataset(stage.mixture, STAGE_SPLIT[args.stage], args.n, args.seed)


def _problems_from_range(args) -> list:
    if not args.op_range:
        raise CliError("generate needs --recipe ID or --op-range LO-HI")
    if args.arm or args.stage:
        raise CliError("--arm and --stage go with --recipe; with --op-range use --template and --split")
    lo, hi = parse_op_range(args.op_range)
    templates = [t.strip() for t in (args.template or "animals-zoo").split(",") if t.strip()]
    config = get_scale(args.scale).generator if args.scale else DEFAULT_CONFIG
    mix = Mixture.of([(t, lo, hi, 1.0) for t in templates], config)  # unknown template -> ValueError listing names
    return make_dataset(mix, args.split or "eval", args.n, args.seed)


def _check_writable(out: str) -> None:
    """Refuse an --out that cannot be written before generating anything."""
    allowed = "--out takes a file path in an existing, writable folder, or - for stdout"
    path = Path(out)
    if path.is_dir():
        raise CliError(f"cannot write {out}: it is a folder; {allowed}")
    parent = path.parent
    if not parent.exists():
        raise CliError(f"cannot write {out}: folder {parent} does not exist; {allowed}")
    if not parent.is_dir():
        raise CliError(f"cannot write {out}: {parent} is not a folder; {allowed}")
    if path.exists() and not os.access(path, os.W_OK) or not path.exists() and not os.access(parent, os.W_OK):
        raise CliError(f"cannot write {out}: permission denied; {allowed}")


def cmd_generate(args) -> int:
    if args.n is None or args.n < 1:
        raise CliError("--n must be a positive integer (problems; per op for --stage eval)")
    out = args.out
    if out != "-":
        _check_writable(out)
    problems = _problems_from_recipe(args) if args.recipe else _problems_from_range(args)
    lines = "".join(json.dumps(p.to_dict()) + "\n" for p in problems)
    if out == "-":
        sys.stdout.write(lines)
    else:
        try:
            Path(out).write_text(lines)
        except OSError as e:  # e.g. a read-only file system, a full disk
            raise CliError(f"cannot write {out}: {e.strerror or e}; --out takes a writable file path, "
                           "or - for stdout") from None
    ops = sorted({p.op for p in problems})
    where = "stdout" if out == "-" else out
    print(f"wrote {len(problems)} problems (ops {ops[0]}-{ops[-1]}) to {where}" if problems else
          f"wrote 0 problems to {where}", file=sys.stderr)
    return 0


# ------------------------------------------------------------------------------------ verify
def _read_jsonl(path: str, what: str, expected: str) -> list[tuple[int, dict]]:
    """(line number, object) for each non-blank line; a bad file or line is a CliError naming both."""
    p = Path(path)
    if not p.exists():
        raise CliError(f"{what} file not found: {path}")
    if not p.is_file():
        raise CliError(f"{what} file {path} is not a file; expected JSON lines, {expected}")
    rows = []
    try:
        with p.open(encoding="utf-8") as f:
            for i, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as e:
                    raise CliError(f"{path} line {i}: not JSON ({e.msg} at column {e.colno}); "
                                   f"expected one JSON object per line, {expected}") from None
                except RecursionError:
                    raise CliError(f"{path} line {i}: JSON nested too deeply; expected {expected}") from None
                except ValueError:  # an integer of more digits than Python reads (sys.get_int_max_str_digits)
                    raise CliError(f"{path} line {i}: a number with more than {sys.get_int_max_str_digits():,} "
                                   f"digits; expected {expected}, with numbers of at most "
                                   f"{sys.get_int_max_str_digits():,} digits") from None
                if not isinstance(row, dict):
                    raise CliError(f"{path} line {i}: expected a JSON object, {expected}; "
                                   f"got a {type(row).__name__}")
                rows.append((i, row))
    except UnicodeDecodeError as e:
        raise CliError(f"{path}: not UTF-8 text (byte {e.start}); expected JSON lines, {expected}") from None
    except OSError as e:
        raise CliError(f"cannot read {what} file {path}: {e.strerror or e}") from None
    return rows


PROBLEM_LINE = "Problem.to_dict() (what `generate` writes)"
COMPLETION_LINE = '{"text_hash" or "index": ..., "completion": "..."}'


def verify_files(problems_path: str, completions_path: str) -> dict:
    """Per-op and overall process accuracy, outcome accuracy and pass@k (k = 1, 2, 4, ... <= n).

    Every problem needs the same number n >= 1 of completions (pass@k is defined over n samples per
    problem); a missing or extra completion is an error naming the problem's line, never a silent skip.
    """
    problems, problem_lines = [], []
    for line_no, d in _read_jsonl(problems_path, "problems", PROBLEM_LINE):
        try:
            problem = Problem.from_dict(d)
        except (KeyError, TypeError, ValueError) as e:
            raise CliError(f"{problems_path} line {line_no}: {e}; expected a {PROBLEM_LINE} record") from None
        # A record whose parts disagree (an edited answer, value or parent) would be blamed on the completions, or
        # score every completion wrong: its own solution must verify against its graph.
        try:
            gold = verify(problem, problem.completion).verified
        except Exception as e:  # noqa: BLE001 - e.g. an answer the verifier cannot read as an integer
            gold, why = False, f" ({type(e).__name__}: {e})"
        else:
            why = ""
        if not gold:
            raise CliError(f"{problems_path} line {line_no}: the problem record contradicts itself: its own solution "
                           f"and answer do not verify against its nodes{why:.200}; expected an unedited "
                           f"{PROBLEM_LINE} record")
        problems.append(problem)
        problem_lines.append(line_no)
    if not problems:
        raise CliError(f"{problems_path} has no problems; expected one {PROBLEM_LINE} per line")
    by_hash = {p.text_hash: i for i, p in enumerate(problems)}
    samples: dict[int, list] = defaultdict(list)
    for i, row in _read_jsonl(completions_path, "completions", COMPLETION_LINE):
        if not isinstance(row.get("completion"), str):
            raise CliError(f"{completions_path} line {i}: needs a string \"completion\"; expected {COMPLETION_LINE}")
        if "text_hash" in row:
            h = row["text_hash"]
            if not isinstance(h, str):
                raise CliError(f"{completions_path} line {i}: text_hash must be a string, got {h!r:.80}")
            if h not in by_hash:
                raise CliError(f"{completions_path} line {i}: text_hash {h!r:.80} is not in {problems_path}")
            idx = by_hash[h]
            if "index" in row and row["index"] != idx:
                raise CliError(f"{completions_path} line {i}: index {row['index']!r:.80} and text_hash name "
                               f"different problems (the text_hash is problem {idx})")
        elif "index" in row:
            idx = row["index"]
            if isinstance(idx, bool) or not (isinstance(idx, int) and 0 <= idx < len(problems)):
                raise CliError(f"{completions_path} line {i}: index must be an integer in 0..{len(problems) - 1} "
                               f"(the 0-based problem in {problems_path}), got {idx!r:.80}")
        else:
            raise CliError(f"{completions_path} line {i}: needs \"text_hash\" or \"index\" "
                           "(0-based line of the problem)")
        try:
            samples[idx].append(verify(problems[idx], row["completion"]))
        except Exception as e:  # a verifier bug, not bad input (the problem's own solution verified); one message
            raise CliError(f"{completions_path} line {i}: the verifier failed on this completion of the problem on "
                           f"{problems_path} line {problem_lines[idx]} ({type(e).__name__}: {str(e):.200}); please "
                           f"report it with both lines") from None

    counts = {idx: len(samples.get(idx, ())) for idx in range(len(problems))}
    missing = [idx for idx, c in counts.items() if c == 0]
    if missing:
        idx = missing[0]
        raise CliError(f"{completions_path} has no completion for {len(missing)} of {len(problems)} problems, "
                       f"first the one on {problems_path} line {problem_lines[idx]} (index {idx}); every problem "
                       f"needs the same number n >= 1 of completions (score a subset with a problems file of "
                       f"just those problems)")
    n_values = sorted(set(counts.values()))
    if len(n_values) > 1:
        lo = min(counts, key=lambda j: (counts[j], j))
        hi = max(counts, key=lambda j: (counts[j], -j))
        raise CliError(f"{completions_path}: problems have {n_values[0]} to {n_values[-1]} completions each "
                       f"({problems_path} line {problem_lines[lo]} has {counts[lo]}, line {problem_lines[hi]} "
                       f"has {counts[hi]}); every problem needs the same number n of completions")

    groups: dict[object, list[int]] = defaultdict(list)
    for idx in sorted(samples):
        groups[problems[idx].op].append(idx)
    groups["all"] = sorted(samples)

    def summarise(idxs: list[int]) -> dict:
        reports = [r for i in idxs for r in samples[i]]
        n_min = min(len(samples[i]) for i in idxs)
        row = {"problems": len(idxs), "samples": len(reports), "n_min": n_min,
               "process_acc": sum(r.process_acc for r in reports) / len(reports),
               "outcome_acc": sum(r.answer_correct for r in reports) / len(reports),
               "verified_acc": sum(r.verified for r in reports) / len(reports)}
        for k in powers_of_two_up_to(n_min):  # every problem has >= k samples
            row[f"pass@{k}"] = sum(pass_at_k(len(samples[i]), sum(r.verified for r in samples[i]), k)
                                   for i in idxs) / len(idxs)
        return row

    return {"by_op": {op: summarise(groups[op]) for op in sorted(k for k in groups if k != "all")},
            "all": summarise(groups["all"])}


def cmd_verify(args) -> int:
    res = verify_files(args.problems, args.completions)
    if args.json:
        print(json.dumps(res, indent=1, default=str))
        return 0
    ks = [c for c in res["all"] if c.startswith("pass@")]
    cols = ("op", "problems", "samples", "process_acc", "outcome_acc", *ks)
    rows = []
    for op, r in [*res["by_op"].items(), ("all", res["all"])]:
        rows.append((str(op), str(r["problems"]), str(r["samples"]), f"{r['process_acc']:.3f}",
                     f"{r['outcome_acc']:.3f}", *(f"{r[k]:.3f}" if k in r else "-" for k in ks)))
    _print_table(cols, rows)
    print("\npass@k counts a sample only if it is process-verified (every step and the answer right).")
    return 0


# ------------------------------------------------------------------------------------ run
def cmd_run(args) -> int:
    recipe = get_recipe(args.recipe, args.scale)  # validates the id and scale with a helpful message
    for arm in args.arm or []:
        recipe.arm(arm)
    if args.max_minutes is not None and not (math.isfinite(args.max_minutes) and args.max_minutes > 0):
        raise CliError(f"--max-minutes must be a finite number > 0, got {args.max_minutes}")
    try:
        path = run_recipe(recipe.id, args.scale, args.arm, args.seed, args.max_minutes, rl_seed=args.rl_seed)
    except NotImplementedError as e:
        raise CliError(str(e)) from None
    if path is None:
        print("stopped early; run the same command again to resume")
        return 0
    print(f"wrote {path}")
    return 0


# ------------------------------------------------------------------------------------ main
def _print_table(cols, rows) -> None:
    widths = [max(len(c), *(len(r[i]) for r in rows)) if rows else len(c) for i, c in enumerate(cols)]
    print("  ".join(c.ljust(w) for c, w in zip(cols, widths)).rstrip())
    for r in rows:
        print("  ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip())


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m reasonlab", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="command", required=True, metavar="{recipes,scales,generate,verify,run}")

    r = sub.add_parser("recipes", help="list the paper's experiments, or show one")
    r.add_argument("--show", metavar="ID", help="print one recipe's arms, mixtures and budgets")
    r.add_argument("--scale", choices=list(SCALES), help="scale (default laptop)")
    r.set_defaults(fn=cmd_recipes)

    s = sub.add_parser("scales", help="list the scales, or show one with its deviations from the paper")
    s.add_argument("--show", metavar="SCALE", help=f"one of {', '.join(SCALES)}")
    s.set_defaults(fn=cmd_scales)

    g = sub.add_parser("generate", help="write problems as JSON lines (Problem.to_dict())")
    g.add_argument("--recipe", metavar="ID", help="take the mixture from a recipe's arm and stage")
    g.add_argument("--arm", help="arm name (see recipes --show ID)")
    g.add_argument("--stage", choices=STAGES, help="pretrain, mid, rl (per arm) or eval (the recipe's eval sets)")
    g.add_argument("--scale", choices=list(SCALES), help="scale (recipes: default laptop; with --op-range it picks "
                                                         "the generator config, default the paper's)")
    g.add_argument("--op-range", metavar="LO-HI", help="uniform over ops LO..HI, e.g. 2-10")
    g.add_argument("--template", help="template name or letter, or several comma-separated (default animals-zoo)")
    g.add_argument("--split", choices=SPLITS, help="generator split for --op-range (default eval)")
    g.add_argument("--n", type=int, help="number of problems (per op, and per template where split, for --stage eval)")
    g.add_argument("--seed", type=int, default=0)
    g.add_argument("--out", required=True, metavar="FILE", help="output .jsonl, or - for stdout")
    g.set_defaults(fn=cmd_generate)

    v = sub.add_parser("verify", help="score completions: per-op process accuracy, outcome accuracy, pass@k")
    v.add_argument("--problems", required=True, metavar="P.jsonl", help="Problem.to_dict() per line")
    v.add_argument("--completions", required=True, metavar="C.jsonl",
                   help='one {"text_hash" or "index": ..., "completion": "..."} per line; the same number n >= 1 '
                        'for every problem (pass@k up to n)')
    v.add_argument("--json", action="store_true", help="print the results as JSON")
    v.set_defaults(fn=cmd_verify)

    run = sub.add_parser("run", help="train and evaluate a recipe's arms (cached, resumable)")
    run.add_argument("recipe", metavar="RECIPE", help="recipe id (see `recipes`), e.g. ladder")
    run.add_argument("--scale", default="laptop", choices=list(SCALES))
    run.add_argument("--arm", action="append", help="only this arm (repeatable); default all arms")
    run.add_argument("--seed", type=int, default=0)
    run.add_argument("--rl-seed", type=int, help="seed of the RL stages alone: another RL run from the same base")
    run.add_argument("--max-minutes", type=float, help="stop each training stage after this long (resume later)")
    run.set_defaults(fn=cmd_run)
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)  # argparse itself exits 2 with a message on bad syntax
    try:
        return args.fn(args)
    except (CliError, ValueError) as e:  # ValueErrors from the library say what is allowed
        print(f"{parser.prog} {args.command}: error: {e}", file=sys.stderr)
        return 2
    except OSError as e:  # a file the command needed could not be read or written
        if isinstance(e, BrokenPipeError):  # e.g. `generate --out - | head`
            return 0
        where = f" {e.filename}" if e.filename else ""
        print(f"{parser.prog} {args.command}: error:{where} {e.strerror or e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
