"""The one place an artifact's key is computed.

A trained stage lives in `$REASONLAB_HOME/artifacts/<stage>-<key>/`; its key hashes the *identity* of its
trainer config (what the run computes) with its parents' keys. Runtime fields, which change how a run is
carried out but not what it computes, are left out, so that e.g. saving checkpoints more often does not
re-key (and retrain) a committed base model.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .provenance import config_hash, to_jsonable

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
