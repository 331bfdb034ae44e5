"""Fixtures shared by the test modules that run tiny models."""

import os
import shutil
import tempfile

import pytest


def pytest_configure(config):
    """Tests never read or write the user's artifact cache (where real runs train): each test session gets a fresh
    REASONLAB_HOME, removed at its end. Committed stages (data/checkpoints) are still copied in where a key matches."""
    config._reasonlab_home = tempfile.mkdtemp(prefix="reasonlab-tests-")
    os.environ["REASONLAB_HOME"] = config._reasonlab_home


def pytest_unconfigure(config):
    shutil.rmtree(getattr(config, "_reasonlab_home", ""), ignore_errors=True)


@pytest.fixture(scope="module")
def one_thread():
    """Single-threaded: tiny matmuls gain nothing from threads, and on a shared, oversubscribed 2-core
    machine 2 OpenMP threads can run ~100x slower. Modules opt in with `pytestmark`."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def tiny_parent(tmp_path_factory):
    """A saved random `smoke` checkpoint with the project tokenizer (a GRPO parent)."""
    from reasonlab.model import make_model, save_checkpoint
    from reasonlab.tokenizer import load_tokenizer

    tok = load_tokenizer()
    path = tmp_path_factory.mktemp("parent")
    save_checkpoint(make_model("smoke", tok, seed=0), tok, path)
    return path
