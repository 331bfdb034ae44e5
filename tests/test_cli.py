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
    assert len(rows) == 2 * 4  # templates A and B x the context ops 2..5, one each
    assert {r["template"] for r in rows} == {"animals-zoo", "teachers-school"}


@pytest.mark.parametrize("args, message", [
    (["generate", "--op-range", "1-50", "--n", 3, "--out", "-"], "expected LO-HI with 2 <= LO <= HI <= 40"),
    (["generate", "--op-range", "ten", "--n", 3, "--out", "-"], "expected LO-HI"),
    # digits str.isdigit accepts and int() refuses, and more digits than int() reads: the range, not a ValueError
    (["generate", "--op-range", "²-4", "--n", 3, "--out", "-"],
     "bad op range '²-4': expected LO-HI with 2 <= LO <= HI <= 40 in ASCII digits"),
    (["generate", "--op-range", "2-٤", "--n", 3, "--out", "-"], "<= 40 in ASCII digits, e.g. 2-10"),
    (["generate", "--op-range", "9" * 5000, "--n", 3, "--out", "-"], "in ASCII digits, e.g. 2-10"),
    (["generate", "--op-range", "2-4", "--template", "zoo", "--n", 3, "--out", "-"],
     "allowed: animals-zoo (A), teachers-school (B), movie-festival (C)"),
    (["generate", "--recipe", "S9", "--stage", "rl", "--n", 3, "--out", "-"], "allowed: ladder, S3, S4, Fig5, S5"),
    (["generate", "--recipe", "S5", "--arm", "beta-1", "--stage", "mid", "--n", 3, "--out", "-"], "no mid stage"),
    (["generate", "--recipe", "S5", "--stage", "mid", "--n", 3, "--out", "-"], "arms of S5: base, beta-0"),
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


# ------------------------------------------------------------------------------------ bad input (issue 12)
def main_cli(capsys, *args):
    """The CLI entry point in-process: (exit status, stdout, stderr); an uncaught exception fails the test."""
    from reasonlab.__main__ import main

    try:
        rc = main([str(a) for a in args])
    except SystemExit as e:  # argparse's own errors
        rc = e.code
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return rc, out, err


def write_lines(path, rows):
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows))
    return path


def test_generate_out_a_folder_or_unwritable_path(tmp_path, capsys):
    gen = ("generate", "--op-range", "2-4", "--n", 3, "--out")
    rc, _, err = main_cli(capsys, *gen, tmp_path)
    assert rc == 2 and f"cannot write {tmp_path}: it is a folder" in err and "or - for stdout" in err
    afile = tmp_path / "a.txt"
    afile.write_text("x")
    rc, _, err = main_cli(capsys, *gen, afile / "x.jsonl")
    assert rc == 2 and f"{afile} is not a folder" in err and len(err.strip().splitlines()) == 1
    rc, _, err = main_cli(capsys, *gen, "/proc/no-such-dir/x.jsonl")
    assert rc == 2 and "does not exist" in err


def test_generate_out_read_only_folder(tmp_path, capsys, monkeypatch):
    """A folder the user may not write to is refused before generating (os.access: root would write anyway)."""
    import os

    monkeypatch.setattr(os, "access", lambda path, mode: False)
    rc, _, err = main_cli(capsys, "generate", "--op-range", "2-4", "--n", 3, "--out", tmp_path / "x.jsonl")
    assert rc == 2 and f"cannot write {tmp_path / 'x.jsonl'}: permission denied" in err


def test_generate_write_failure_is_a_message(tmp_path, capsys, monkeypatch):
    """An OSError while writing (a full disk, a read-only mount) is one message, not a traceback."""
    def fail(self, *a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Path, "write_text", fail)
    rc, _, err = main_cli(capsys, "generate", "--op-range", "2-4", "--n", 3, "--out", tmp_path / "x.jsonl")
    assert rc == 2 and "No space left on device" in err and str(tmp_path / "x.jsonl") in err


@pytest.fixture
def good_problems(tmp_path):
    from reasonlab.generator import Mixture, make_dataset

    return [p.to_dict() for p in make_dataset(Mixture.band(3, 4), "eval", 3, seed=0)]


def _no_field(d, key):
    return {k: v for k, v in d.items() if k != key}


@pytest.mark.parametrize("corrupt, message", [
    (lambda d: {**d, "nodes": []}, "field 'nodes' must be a non-empty list"),
    (lambda d: _no_field(d, "nodes"), "missing: nodes"),
    (lambda d: {**d, "answer": None}, "field 'answer' must be a string, got None"),
    (lambda d: {**d, "question": None}, "field 'question' must be a string"),
    (lambda d: {**d, "op": None}, "field 'op' must be an integer"),
    (lambda d: {**d, "nodes": [None]}, "nodes[0] must be a list [name, var, kind"),
    (lambda d: {**d, "nodes": [[None] * 7]}, "nodes[0] must be [name, var, kind"),
    (lambda d: {**d, "nodes": d["nodes"][:-1] + [d["nodes"][-1][:6]]}, "must be a list [name, var"),
    (lambda d: {**d, "meta": []}, "field 'meta' must be an object"),
    (lambda d: "[1, 2]", "expected a JSON object"),
    (lambda d: '{"question": ', "not JSON"),
    (lambda d: "[" * 100_000, "line 2: "),
    # answers over 4,300 digits (int() refuses them): blamed on the problem, saying what is allowed
    (lambda d: {**d, "answer": "9" * 5000}, "field 'answer' must be an integer in decimal digits (at most 4,300"),
    (lambda d: {**d, "answer": "12x"}, "field 'answer' must be an integer in decimal digits"),
    (lambda d: '{"op": ' + "9" * 5000 + "}", "a number with more than 4,300 digits"),
    # records whose parts disagree: refused as problems, not blamed on the completions
    (lambda d: {**d, "answer": str(int(d["answer"]) + 1)}, "must be the value of the query, the last of 'nodes'"),
    (lambda d: {**d, "nodes": d["nodes"][:-1] + [d["nodes"][-1][:4] + [10**4000] + d["nodes"][-1][5:]]},
     "must be the value of the query"),
    (lambda d: {**d, "nodes": [d["nodes"][0][:4] + [d["nodes"][0][4] + 1] + d["nodes"][0][5:]] + d["nodes"][1:]},
     "the problem record contradicts itself"),  # a step's value edited
    (lambda d: {**d, "nodes": d["nodes"][:-1] + [d["nodes"][-1][:5] + [["no such quantity"]] + d["nodes"][-1][6:]]},
     "its own solution and answer do not verify against its nodes"),
])
def test_verify_bad_problem_record_names_file_and_line(tmp_path, capsys, good_problems, corrupt, message):
    rows = list(good_problems)
    rows[1] = corrupt(rows[1])
    probs = write_lines(tmp_path / "p.jsonl", rows)
    comps = write_lines(tmp_path / "c.jsonl", [{"index": i, "completion": "x"} for i in range(3)])
    rc, _, err = main_cli(capsys, "verify", "--problems", probs, "--completions", comps)
    assert rc == 2 and f"{probs} line 2: " in err and message in err, err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("rows, message", [
    (['{"index": 0, "completion": "x"', ], "line 1: not JSON"),
    ([{"index": 0, "completion": None}], 'line 1: needs a string "completion"'),
    ([{"index": True, "completion": "x"}], "line 1: index must be an integer in 0..2"),
    ([{"index": 1.0, "completion": "x"}], "line 1: index must be an integer in 0..2"),
    ([{"text_hash": ["a"], "completion": "x"}], "line 1: text_hash must be a string"),
    ([{"text_hash": None, "completion": "x"}], "line 1: text_hash must be a string"),
    ([{"index": 0, "completion": "x"}, {"index": 5, "completion": "x"}], "line 2: index must be an integer in 0..2"),
    (['{"index": 0, "completion": "x", "n": ' + "9" * 5000 + "}"], "line 1: a number with more than 4,300 digits"),
    (['{"index": ' + "1" * 4301 + ', "completion": "x"}'], "line 1: a number with more than 4,300 digits"),
])
def test_verify_bad_completion_line_names_file_and_line(tmp_path, capsys, good_problems, rows, message):
    probs = write_lines(tmp_path / "p.jsonl", good_problems)
    comps = write_lines(tmp_path / "c.jsonl", rows)
    rc, _, err = main_cli(capsys, "verify", "--problems", probs, "--completions", comps)
    assert rc == 2 and f"{comps} {message}" in err, err


def test_verify_completions_shorter_or_longer_than_problems(tmp_path, capsys, good_problems):
    probs = write_lines(tmp_path / "p.jsonl", [good_problems[0], "", *good_problems[1:]])  # a blank line 2
    comps = tmp_path / "c.jsonl"
    one_each = [{"index": i, "completion": "x"} for i in range(3)]
    # shorter: the last problem (line 4 of the problems file, index 2) has no completion
    write_lines(comps, one_each[:2])
    rc, _, err = main_cli(capsys, "verify", "--problems", probs, "--completions", comps)
    assert rc == 2 and f"{comps} has no completion for 1 of 3 problems" in err
    assert f"{probs} line 4 (index 2)" in err and "the same number n >= 1" in err
    # longer: one problem has an extra completion
    write_lines(comps, one_each + [{"index": 0, "completion": "y"}])
    rc, _, err = main_cli(capsys, "verify", "--problems", probs, "--completions", comps)
    assert rc == 2 and "problems have 1 to 2 completions each" in err and f"({probs} line 3 has 1, line 1 has 2)" in err
    write_lines(comps, [])  # empty
    rc, _, err = main_cli(capsys, "verify", "--problems", probs, "--completions", comps)
    assert rc == 2 and "no completion for 3 of 3 problems" in err
    write_lines(comps, one_each)  # exactly one each: fine
    rc, out, err = main_cli(capsys, "verify", "--problems", probs, "--completions", comps, "--json")
    assert rc == 0 and json.loads(out)["all"]["problems"] == 3


def test_verify_bad_files(tmp_path, capsys, good_problems):
    probs = write_lines(tmp_path / "p.jsonl", good_problems)
    comps = write_lines(tmp_path / "c.jsonl", [{"index": i, "completion": "x"} for i in range(3)])
    binary = tmp_path / "b.jsonl"
    binary.write_bytes(b'{"index": 0, "completion": "\xff\xfe"}\n')
    empty = write_lines(tmp_path / "e.jsonl", [])
    for args, message in [
        (("--problems", tmp_path, "--completions", comps), f"problems file {tmp_path} is not a file"),
        (("--problems", probs, "--completions", binary), f"{binary}: not UTF-8 text"),
        (("--problems", empty, "--completions", comps), f"{empty} has no problems"),
        (("--problems", probs, "--completions", tmp_path / "none.jsonl"), "completions file not found"),
    ]:
        rc, _, err = main_cli(capsys, "verify", *args)
        assert rc == 2 and message in err, err


def test_verify_index_and_text_hash_must_agree(tmp_path, capsys, good_problems):
    probs = write_lines(tmp_path / "p.jsonl", good_problems)
    comps = write_lines(tmp_path / "c.jsonl", [{"index": 0, "text_hash": good_problems[1]["text_hash"],
                                                "completion": "x"}])
    rc, _, err = main_cli(capsys, "verify", "--problems", probs, "--completions", comps)
    assert rc == 2 and "line 1: index 0 and text_hash name different problems" in err


@pytest.mark.parametrize("minutes", ["nan", "inf", "0", "-1"])
def test_run_max_minutes_must_be_finite_positive(capsys, minutes):
    rc, _, err = main_cli(capsys, "run", "ladder", "--scale", "smoke", "--max-minutes", minutes)
    assert rc == 2 and "--max-minutes must be a finite number > 0" in err


def test_bad_input_via_subprocess_has_no_traceback(tmp_path):
    """The same, as a user runs it: a separate interpreter, exit 2, one line on stderr."""
    bad = tmp_path / "p.jsonl"
    bad.write_text(json.dumps({"question": "q", "nodes": []}) + "\n")
    for args in (["generate", "--op-range", "2-4", "--n", 3, "--out", tmp_path],
                 ["verify", "--problems", bad, "--completions", bad]):
        proc = cli(*args, ok=False)
        assert proc.returncode == 2 and "Traceback" not in proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1 and "error:" in proc.stderr


def test_a_verifier_failure_names_both_the_completion_and_its_problem(tmp_path, capsys, good_problems, monkeypatch):
    """The problem records verified against themselves, so a failure is the verifier's on this completion: the message
    names the completion's line and its problem's line."""
    import reasonlab.__main__ as cli

    probs = write_lines(tmp_path / "p.jsonl", good_problems)
    comps = write_lines(tmp_path / "c.jsonl", [{"index": i, "completion": f"c{i}"} for i in range(3)])
    real = cli.verify

    def fail_on_c1(problem, completion):
        if completion == "c1":
            raise RuntimeError("boom")
        return real(problem, completion)

    monkeypatch.setattr(cli, "verify", fail_on_c1)  # the verifier as the CLI calls it
    rc, _, err = main_cli(capsys, "verify", "--problems", probs, "--completions", comps)
    assert rc == 2 and f"{comps} line 2: the verifier failed on this completion of the problem on {probs} line 2 " \
                       "(RuntimeError: boom)" in err
