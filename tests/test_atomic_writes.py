"""Results and caches are written atomically with unique temporary names: concurrent writers never collide
and a reader never sees a partial file (issue: two writers and a reader once gave failed writes and torn JSON)."""

import json
import multiprocessing as mp

from reasonlab.provenance import atomic_write_text, load_result, save_result


def _writer(results_dir, tag, n):
    for i in range(n):
        save_result("shared", {"tag": tag, "i": i, "pad": "x" * 20_000}, {"kind": "test"}, results_dir=results_dir)


def _reader(path, n, out):
    torn = 0
    for _ in range(n):
        try:
            json.loads(path.read_text())
        except FileNotFoundError:
            continue
        except json.JSONDecodeError:
            torn += 1
    out.put(torn)


def test_two_writers_and_a_reader_never_fail_or_tear(tmp_path):
    ctx = mp.get_context("fork")
    out = ctx.Queue()
    writers = [ctx.Process(target=_writer, args=(tmp_path, t, 150)) for t in ("a", "b")]
    reader = ctx.Process(target=_reader, args=(tmp_path / "shared.json", 1500, out))
    for p in (*writers, reader):
        p.start()
    for p in (*writers, reader):
        p.join(timeout=120)
    assert [p.exitcode for p in writers] == [0, 0]  # no writer failed
    assert out.get(timeout=10) == 0  # no torn read
    assert load_result("shared", results_dir=tmp_path)["data"]["i"] == 149
    assert not list(tmp_path.glob(".*.tmp"))  # no temporary file left behind


def test_atomic_write_leaves_the_old_file_when_writing_fails(tmp_path):
    path = atomic_write_text(tmp_path / "a.json", '{"ok": 1}')
    try:
        atomic_write_text(path, object())  # not a str: the write fails
    except TypeError:
        pass
    assert json.loads(path.read_text()) == {"ok": 1} and not list(tmp_path.glob(".*.tmp"))
