"""Provenance: stable seeds, artifact keys, manifests and committed results.

Every artifact (a checkpoint, an evaluation) and every committed result under `data/results/`
carries a manifest saying what made it: config, parents, git commit, package versions, device,
wall time. Loaders take a path, never search a folder.

This is the one place an artifact's key is computed. A trained stage lives in
`$REASONLAB_HOME/artifacts/<stage>-<key>/`; its key hashes the *identity* of its trainer config (what the run
computes) with its parents' keys. Runtime fields, which change how a run is carried out but not what it computes,
are left out, so that e.g. saving checkpoints more often does not re-key (and retrain) a committed base model.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import hashlib
import json
import os
import platform
import re
import subprocess
import tempfile
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = REPO_ROOT / "data" / "results"


def stable_seed(seed: int, *labels: Any) -> int:
    """A 63-bit seed derived from (seed, labels) with hashlib (Python's str hash is salted)."""
    text = "\x1f".join([str(seed), *map(str, labels)])
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big") >> 1


# Field metadata of a config field added after artifacts were keyed: it enters the identity (config_hash) only
# when set to something other than its default, so existing keys, and the committed checkpoints, stay valid.
IDENTITY_IF_SET = {"identity": "if_set"}


def config_fields(config: Any) -> dict[str, Any]:
    """A dataclass config's fields as manifests record them and keys hash them: every field, less an IDENTITY_IF_SET
    field left at its default."""
    return {f.name: getattr(config, f.name) for f in dataclasses.fields(config)
            if not (f.metadata.get("identity") == "if_set" and getattr(config, f.name) == f.default)}


def to_jsonable(obj: Any) -> Any:
    """Dataclasses, tuples and paths to plain JSON types (for hashing and manifests). A config whose fields changed
    shape after artifacts were keyed records the shape they were keyed with through its own `recorded_fields()`
    (GRPORunConfig's reward), so that those keys stay."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        fields = obj.recorded_fields() if hasattr(obj, "recorded_fields") else config_fields(obj)
        return {name: to_jsonable(value) for name, value in fields.items()}
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, Path):
        return str(obj)
    return obj


def config_hash(obj: Any, *parents: str, length: int = 12) -> str:
    """Hash of a config's identity plus its parents' keys: the artifact key."""
    payload = json.dumps([to_jsonable(obj), list(parents)], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(payload.encode()).hexdigest()[:length]


# Trainer-config fields that do not change what a run computes: checkpoint cadence. What holds, and is tested: on
# one machine at one thread count, a run resumed after a stop or a kill gives the uninterrupted run's weights bit
# for bit (next-token training: tests/test_train_lm.py, test_train_distributed.py; GRPO on the default fast path:
# tests/test_grpo.py), and so do two fresh runs of one config. What does not: another thread count, machine or
# torch build (a matmul's rounding follows its blocking), and the logged step times.
RUNTIME_FIELDS = frozenset({"ckpt_every"})


def identity(config: Any) -> Any:
    """A config as JSON without its runtime fields (a config dict from a manifest gives the same identity)."""
    data = to_jsonable(config)
    if isinstance(data, dict):
        data = {k: v for k, v in data.items() if k not in RUNTIME_FIELDS}
    return data


def artifact_key(config: Any, *parents: str) -> str:
    """The key of an artifact trained with `config` from parents with keys `parents`."""
    return config_hash(identity(config), *parents)


def rekey(stage_dir: Path) -> Path:
    """Move a finished stage written before runtime fields left the key (its manifest's config_hash still hashes
    them) to the directory of its current key, recording the old key in the manifest. Returns the new dir; a
    stage whose key is current is left as it is."""
    stage_dir = Path(stage_dir)
    path = stage_dir / "final" / "manifest.json"
    manifest = json.loads(path.read_text())
    key = artifact_key(manifest["config"], *manifest.get("parents", []))
    if manifest["config_hash"] == key:
        return stage_dir
    manifest = {**manifest, "config_hash": key, "rekeyed_from": manifest["config_hash"],
                "rekeyed_from_dir": stage_dir.name}
    path.write_text(json.dumps(manifest, indent=2, sort_keys=True))
    target = stage_dir.with_name(f"{stage_dir.name.rsplit('-', 1)[0]}-{key}")
    stage_dir.rename(target)
    return target


def git_commit() -> str:
    """The commit of the working tree, with '+dirty' if its code has uncommitted changes. Committed results
    (data/results/) do not count: they are what runs write, e.g. parallel arms merging into one result."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=10
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no", "--", ".", ":(exclude)data/results"],
            cwd=REPO_ROOT, capture_output=True, text=True, timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return (commit or "uncommitted") + ("+dirty" if dirty else "")


def verifier_rules_at(commit: str) -> str | None:
    """The verifier's rules date (reasonlab.verify.RULES) in the code at `commit`, read from git; None when the commit
    or git is not there, or the code of then had no dated rules. It tells which rules scored a result whose data does
    not record them."""
    if not commit or not all(c in "0123456789abcdef" for c in commit):
        return None
    try:
        text = subprocess.run(["git", "show", f"{commit}:reasonlab/verify/__init__.py"], cwd=REPO_ROOT,
                              capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    found = re.search(r'^RULES = "([^"]+)"', text, re.MULTILINE)
    return found.group(1) if found else None


def device_description() -> str:
    """'cpu (N cores, <processor>)' or the CUDA device name."""
    try:
        import torch  # here: a manifest of a result that ran no model is written without torch (~2 s)

        if torch.cuda.is_available():
            return f"cuda ({torch.cuda.get_device_name(0)})"
        threads = torch.get_num_threads()
    except ImportError:
        threads = os.cpu_count()
    return f"cpu ({threads} threads, {platform.machine()})"


def package_versions() -> dict[str, str]:
    out = {}
    for name in ("torch", "transformers", "trl", "tokenizers", "networkx", "numpy"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            pass
    return out


def make_manifest(kind: str, config: Any, parents: tuple[str, ...] = (), wall_time_s: float | None = None,
                  **extra: Any) -> dict:
    """The provenance record written beside every artifact and committed result."""
    return {
        "kind": kind,
        "config": to_jsonable(config),
        "config_hash": artifact_key(config, *parents),
        "parents": list(parents),
        "git_commit": git_commit(),
        "packages": package_versions(),
        "device": device_description(),
        "wall_time_s": None if wall_time_s is None else round(float(wall_time_s), 3),
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        **to_jsonable(extra),
    }


def atomic_write_text(path: Path | str, text: str) -> Path:
    """Write `path` so that a reader sees the old file or the new one, never a part, and concurrent writers
    never collide: each writes its own temporary file (a unique name in the same directory) and renames it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.chmod(tmp, 0o644)  # mkstemp makes it private; results and caches are read by others
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def weights_digest(directory: Path | str) -> dict[str, str]:
    """sha256 of each weight file (*.safetensors) in a checkpoint directory, by file name."""
    out = {}
    for path in sorted(Path(directory).glob("*.safetensors")):
        h = hashlib.sha256()
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
        out[path.name] = h.hexdigest()
    return out


def write_manifest(directory: Path, manifest: dict) -> Path:
    """Write manifest.json last, atomically: its presence marks the artifact complete. A checkpoint's manifest
    records the sha256 of its weight files, which `check_artifact` verifies before the artifact is reused."""
    digest = weights_digest(directory)
    if digest:
        manifest = {**manifest, "weights_sha256": digest}
    return atomic_write_text(Path(directory) / "manifest.json", json.dumps(manifest, indent=2, sort_keys=True))


# The trainers before commit 2a5c78f timed a resumed run's last session only in wall_time_s, while train_seconds
# (from its checkpoints) counted the steps of every session: such a manifest shows training time above wall time.
WALL_TIME_FIX = "reasonlab.provenance.correct_resumed_wall_time"


def times_problem(manifest: dict) -> str | None:
    """Why a stage manifest's times contradict each other (its training time above its wall time), or None."""
    train, wall = manifest.get("train_seconds"), manifest.get("wall_time_s")
    if type(train) in (int, float) and type(wall) in (int, float) and train > wall + 0.01:  # wall: 3 decimals
        return (f"train_seconds {train:.1f} is above wall_time_s {wall:.1f} (the steps alone cannot take longer "
                f"than the whole run; a trainer before commit 2a5c78f timed only a resumed run's last session: "
                f"correct the manifest with {WALL_TIME_FIX})")
    return None


def correct_resumed_wall_time(manifest: dict) -> dict:
    """A manifest whose wall_time_s timed only the last session of a resumed run (times_problem), corrected from its
    own numbers: the whole run took at least its training time (train_seconds, every session's steps), so wall_time_s
    becomes that lower bound with wall_time_complete False ("at least"), the old value kept as
    wall_time_last_session_s. Any other manifest is returned as it is."""
    if times_problem(manifest) is None:
        return manifest
    return {**manifest, "wall_time_s": round(float(manifest["train_seconds"]), 3), "wall_time_complete": False,
            "wall_time_last_session_s": manifest["wall_time_s"]}


class CorruptArtifact(ValueError):
    """A finished artifact whose manifest or weights do not check out (the message names the file)."""


def safetensors_problem(path: Path) -> str | None:
    """Why a .safetensors file cannot be loaded (truncated, zeroed, not one), or None when its header parses and its
    tensors' data covers the file exactly, as the loader requires. Reads the header only (the format: an 8-byte
    little-endian header length, a JSON header of tensors with data_offsets, then the data)."""
    try:
        size = path.stat().st_size
        with open(path, "rb") as f:
            n = int.from_bytes(f.read(8), "little")
            if size < 8 or n == 0 or 8 + n > size:
                return f"its header length ({n} bytes) does not fit the file ({size} bytes)"
            header = json.loads(f.read(n))
    except OSError as e:
        return f"unreadable ({e.strerror or e})"
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        return "its header is not JSON"
    if not isinstance(header, dict):
        return "its header is not a JSON object"
    ends = []
    for name, tensor in header.items():
        if name == "__metadata__":
            continue
        off = tensor.get("data_offsets") if isinstance(tensor, dict) else None
        if not (isinstance(off, list) and len(off) == 2 and all(type(o) is int for o in off) and 0 <= off[0] <= off[1]):
            return f"tensor {name!r:.60} has no valid data_offsets"
        ends.append(off[1])
    data = size - 8 - n
    if max(ends, default=0) != data:
        return f"its tensors need {max(ends, default=0)} bytes of data, the file holds {data}"
    return None


def check_artifact(directory: Path | str) -> dict:
    """The manifest of a finished artifact, after checking it parses and its weights match their recorded sha256.

    Raises CorruptArtifact naming the file. A manifest written before weights were hashed has nothing to compare
    them with: its weight files must at least load (a header that parses, data that covers the file exactly), and a
    checkpoint (config.json beside it) must have some."""
    directory = Path(directory)
    path = directory / "manifest.json"
    try:
        manifest = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise CorruptArtifact(f"{path}: unreadable manifest ({type(e).__name__}: {e})") from None
    if not isinstance(manifest, dict) or "config_hash" not in manifest:
        raise CorruptArtifact(f"{path}: not a manifest (no config_hash)")
    recorded = manifest.get("weights_sha256")
    if recorded:
        actual = weights_digest(directory)
        for name, digest in recorded.items():
            if actual.get(name) != digest:
                raise CorruptArtifact(f"{directory / name}: weights do not match the sha256 in its manifest "
                                      f"(changed, truncated or missing)")
        return manifest
    weights = sorted(directory.glob("*.safetensors"))
    if not weights and (directory / "config.json").exists():
        raise CorruptArtifact(f"{directory}: a checkpoint without weights (no *.safetensors beside its config.json)")
    for w in weights:
        problem = safetensors_problem(w)
        if problem:
            raise CorruptArtifact(f"{w}: weights cannot be loaded: {problem} (truncated or overwritten; its manifest, "
                                  f"written before weights were hashed, records no sha256)")
    return manifest


def save_result(name: str, data: Any, manifest: dict, results_dir: Path | None = None) -> Path:
    """Commit-ready result: `data/results/<name>.json` = {"manifest": ..., "data": ...}."""
    path = Path(results_dir or RESULTS_DIR) / f"{name}.json"
    return atomic_write_text(path, json.dumps({"manifest": manifest, "data": to_jsonable(data)}, indent=1,
                                              sort_keys=True))


def load_result(name: str, results_dir: Path | None = None) -> dict:
    """Load a committed result; a clear error names what exists if it is missing."""
    base = Path(results_dir or RESULTS_DIR)
    path = base / f"{name}.json"
    if not path.exists():
        have = sorted(p.stem for p in base.glob("*.json")) if base.exists() else []
        raise FileNotFoundError(f"no committed result {name!r} in {base}; available: {have}")
    return json.loads(path.read_text())


def provenance_line(manifest: dict) -> str:
    """One line for under a figure: recipe, scale, config hash, commit, device, wall time."""
    cfg = manifest.get("config", {})
    parts = [
        f"recipe {manifest.get('recipe', cfg.get('recipe', manifest.get('kind', '?')))}",
        f"scale {manifest.get('scale', cfg.get('scale', '-'))}",
        f"config {manifest.get('config_hash', '?')}",
        f"commit {manifest.get('git_commit', '?')}",
        f"device {manifest.get('device', '?')}",
    ]
    wall = manifest.get("wall_time_s")
    if wall is not None:
        at_least = "at least " if manifest.get("wall_time_complete") is False else ""  # some parts not timed
        parts.append(f"wall time {at_least}" + (f"{wall:.1f} s" if wall < 120 else f"{wall / 60:.0f} min"))
    return "Provenance: " + " · ".join(parts)


def reasonlab_home() -> Path:
    """Artifact cache root: $REASONLAB_HOME or ~/.cache/reasonlab."""
    return Path(os.environ.get("REASONLAB_HOME", Path.home() / ".cache" / "reasonlab"))


def portable_path(path: Path | str | None) -> str | None:
    """A path as provenance records it, free of this machine: '$REASONLAB_HOME/...' inside the artifact cache,
    repo-relative inside the repository, else as given."""
    if path is None:
        return None
    p = Path(path).resolve()
    for root, label in ((reasonlab_home().resolve(), "$REASONLAB_HOME"), (REPO_ROOT.resolve(), None)):
        if p.is_relative_to(root):
            rel = p.relative_to(root).as_posix()
            return f"{label}/{rel}" if label else rel
    return str(path)


def local_path(portable: str | None) -> Path | None:
    """The inverse of `portable_path` on this machine: '$REASONLAB_HOME/...' under this cache, a relative path under
    the repository."""
    if not portable:
        return None
    if portable.startswith("$REASONLAB_HOME/"):
        return reasonlab_home() / portable.removeprefix("$REASONLAB_HOME/")
    p = Path(portable)
    return p if p.is_absolute() else REPO_ROOT / p
