"""The command line, called as a user would: `python -m reasonlab ...` in a subprocess."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from reasonlab.generator import Problem

REPO = Path(__file__).resolve().parent.parent


def cli(*args, ok=True):
    proc = subprocess.run([sys.executable, "-m", "reasonlab", *map(str, args)], cwd=REPO, capture_output=True,
                          text=True, timeout=60)
    if ok:
        assert proc.returncode == 0, proc.stderr
    return proc


def read_problems(path):
    return [Problem.from_dict(json.loads(line)) for line in Path(path).read_text().splitlines()]


def test_recipes_list():
    out = cli("recipes").stdout
    for rid in ("S3", "S4", "Fig5", "S5", "S6", "A.5", "A.6.1", "A.6.2", "A.7", "A.8", "A.10"):
        assert f"\n{rid} " in out
    assert "Fig 6" in out


def test_recipes_show():
    out = cli("recipes", "--show", "S3", "--scale", "paper").stdout
    assert "rl-op9-12" in out and "A9-12" in out and "hard 15-20" in out and "1024 prompts" in out


def test_scales_show():
    out = cli("scales", "--show", "laptop").stdout
    assert "deviations from the paper" in out and "in_dist" in out


def test_generate_op_range(tmp_path):
    out = tmp_path / "eval.jsonl"
    proc = cli("generate", "--op-range", "2-10", "--template", "animals-zoo", "--split", "eval", "--n", 30,
               "--seed", 0, "--out", out)
    ps = read_problems(out)
    assert len(ps) == 30 and len({p.text_hash for p in ps}) == 30
    assert all(2 <= p.op <= 10 and p.template == "animals-zoo" and p.meta["split"] == "eval" for p in ps)
    assert "wrote 30 problems" in proc.stderr


def test_generate_to_stdout_is_deterministic():
    a = cli("generate", "--op-range", "5", "--template", "B", "--n", 3, "--out", "-").stdout
    b = cli("generate", "--op-range", "5", "--template", "B", "--n", 3, "--out", "-").stdout
    rows = [json.loads(line) for line in a.splitlines()]
    assert a == b and len(rows) == 3 and {r["op"] for r in rows} == {5}
    assert {r["template"] for r in rows} == {"teachers-school"}


def test_generate_from_recipe_stage(tmp_path):
    out = tmp_path / "rl.jsonl"
    cli("generate", "--recipe", "S3", "--arm", "rl-op7-10", "--stage", "rl", "--n", 12, "--scale", "paper",
        "--out", out)
    ps = read_problems(out)
    assert len(ps) == 12 and all(7 <= p.op <= 10 and p.meta["split"] == "rl" for p in ps)


def test_generate_recipe_eval_sets():
    out = cli("generate", "--recipe", "S4", "--stage", "eval", "--n", 1, "--scale", "smoke", "--out", "-").stdout
    rows = [json.loads(line) for line in out.splitlines()]
    assert len(rows) == 2 * 7  # templates A and B x ops 2..8, one each
    assert {r["template"] for r in rows} == {"animals-zoo", "teachers-school"}


@pytest.mark.parametrize("args, message", [
    (["generate", "--op-range", "1-50", "--n", 3, "--out", "-"], "expected LO-HI with 2 <= LO <= HI <= 40"),
    (["generate", "--op-range", "ten", "--n", 3, "--out", "-"], "expected LO-HI"),
    (["generate", "--op-range", "2-4", "--template", "zoo", "--n", 3, "--out", "-"],
     "allowed: animals-zoo (A), teachers-school (B), movie-festival (C)"),
    (["generate", "--recipe", "S9", "--stage", "rl", "--n", 3, "--out", "-"], "allowed: ladder, S3, S4, Fig5, S5"),
    (["generate", "--recipe", "S5", "--arm", "beta-1", "--stage", "mid", "--n", 3, "--out", "-"], "no mid stage"),
    (["generate", "--recipe", "S5", "--stage", "mid", "--n", 3, "--out", "-"], "arms of S5: beta-0"),
    (["generate", "--op-range", "2-4", "--n", 0, "--out", "-"], "--n must be a positive integer"),
    (["generate", "--op-range", "2-4", "--n", 3, "--out", "/no/such/dir/x.jsonl"], "does not exist"),
    (["generate", "--op-range", "2-4", "--split", "train", "--n", 3, "--out", "-"], "invalid choice"),
    (["recipes", "--show", "S9"], "allowed: ladder, S3"),
    (["recipes", "--scale", "huge"], "invalid choice"),
    (["verify", "--problems", "/no/p.jsonl", "--completions", "/no/c.jsonl"], "problems file not found"),
    (["run", "S3", "--scale", "smoke", "--arm", "rl-op99-99"], "has no arm 'rl-op99-99'"),
    (["run", "S99"], "allowed: ladder, S3"),
    (["run", "ladder", "--scale", "smoke", "--arm", "nope"], "has no arm 'nope'"),
    ([], "required"),
])
def test_bad_arguments_exit_2_with_a_message(args, message):
    proc = cli(*args, ok=False)
    assert proc.returncode == 2
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.fixture
def problem_file(tmp_path):
    path = tmp_path / "p.jsonl"
    cli("generate", "--op-range", "3-4", "--n", 4, "--out", path)
    return path


def test_verify_pass_at_k(problem_file, tmp_path):
    ps = read_problems(problem_file)
    rows = []
    for i, p in enumerate(ps):  # 4 samples each; problem i has i correct samples
        for j in range(4):
            text = p.completion if j < i else p.completion.replace(f"<answer>{p.answer}<", "<answer>99999<")
            rows.append({"text_hash": p.text_hash, "completion": text} if j % 2 else {"index": i, "completion": text})
    comp = tmp_path / "c.jsonl"
    comp.write_text("".join(json.dumps(r) + "\n" for r in rows))
    res = json.loads(cli("verify", "--problems", problem_file, "--completions", comp, "--json").stdout)
    overall = res["all"]
    assert overall["problems"] == 4 and overall["samples"] == 16
    assert overall["process_acc"] == 1.0  # only the answer was corrupted
    assert overall["outcome_acc"] == pytest.approx(6 / 16)
    # pass@1 = mean c/n = (0 + 1 + 2 + 3) / 16; pass@4 = share of problems with any correct = 3/4.
    assert overall["pass@1"] == pytest.approx(6 / 16)
    assert overall["pass@2"] == pytest.approx((0 + 0.5 + 5 / 6 + 1) / 4)
    assert overall["pass@4"] == pytest.approx(0.75)
    assert set(res["by_op"]) <= {"3", "4"}
    table = cli("verify", "--problems", problem_file, "--completions", comp).stdout
    assert "pass@4" in table and "process_acc" in table


def test_verify_rejects_unknown_problem(problem_file, tmp_path):
    comp = tmp_path / "c.jsonl"
    comp.write_text(json.dumps({"text_hash": "nope", "completion": "x"}) + "\n")
    proc = cli("verify", "--problems", problem_file, "--completions", comp, ok=False)
    assert proc.returncode == 2 and "is not in" in proc.stderr
    comp.write_text(json.dumps({"completion": "x"}) + "\n")
    proc = cli("verify", "--problems", problem_file, "--completions", comp, ok=False)
    assert proc.returncode == 2 and '"text_hash" or "index"' in proc.stderr
