"""The book's frame: notebooks stored clean and parameterised, toc in sync, offline config, helpers."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import yaml  # noqa: E402

from reasonlab import book, plots  # noqa: E402
from reasonlab.provenance import make_manifest, provenance_line  # noqa: E402

ROOT = book.REPO_ROOT
NOTEBOOKS = book.list_notebooks()


def _toc_files(node) -> list[str]:
    if isinstance(node, dict):
        out = [node[k] for k in ("root", "file") if k in node]
        for v in node.values():
            out += _toc_files(v)
        return out
    if isinstance(node, list):
        return [f for item in node for f in _toc_files(item)]
    return []


def _parameters(path: Path) -> dict:
    nb = json.loads(path.read_text())
    cells = [c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(cells) == 1, f"{path.name}: want exactly one cell tagged 'parameters', found {len(cells)}"
    assert cells[0]["cell_type"] == "code"
    source = "".join(cells[0]["source"]) if isinstance(cells[0]["source"], list) else cells[0]["source"]
    values = {}
    for stmt in ast.parse(source).body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
            values[stmt.targets[0].id] = ast.literal_eval(stmt.value)
        elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.value is not None:
            values[stmt.target.id] = ast.literal_eval(stmt.value)
    return values


# ------------------------------------------------------------------------------------------ notebooks
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_stored_without_outputs(path):
    nb = json.loads(path.read_text())
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] == "code":
            assert not cell.get("outputs"), f"{path.name} cell {i} has outputs: clear them before committing"
            assert cell.get("execution_count") is None, f"{path.name} cell {i} has an execution count"
    assert "widgets" not in nb.get("metadata", {}), f"{path.name} stores widget state"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_prose_line_starts_like_a_quote(path):
    """A markdown line that starts with ">" renders as a blockquote: ">= 1% exposure" became a quote of "= 1%
    exposure" (issue 26). Comparisons are written in words at the start of a line."""
    nb = json.loads(path.read_text())
    lines = [line for c in nb["cells"] if c["cell_type"] == "markdown" for line in "".join(c["source"]).splitlines()]
    assert not [line for line in lines if re.match(r"\s*>\s*[=<>\d]", line)]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_cells_have_unique_ids(path):
    """nbformat 4.5 cells carry ids (a cell added by hand without one is a warning now, an error in later nbformat)."""
    nb = json.loads(path.read_text())
    ids = [cell.get("id") for cell in nb["cells"]]
    assert all(ids), f"{path.name}: cells {[i for i, x in enumerate(ids) if not x]} have no id"
    assert len(set(ids)) == len(ids), f"{path.name}: repeated cell ids"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_parameters_cell(path):
    params = _parameters(path)
    missing = {"scale", "seed", "fresh"} - set(params)
    assert not missing, f"{path.name}: parameters cell lacks {sorted(missing)}"
    assert params["scale"] == "laptop", "the book's default scale is 'laptop'"
    assert params["fresh"] is False, "by default a chapter loads committed results (fresh = False)"
    assert isinstance(params["seed"], int)


# ------------------------------------------------------------------------------------------------ toc
def test_toc_lists_exactly_the_notebooks():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = _toc_files(toc)
    chapters = [f.removeprefix("book/chapters/") for f in files if f.startswith("book/chapters/")]
    assert sorted(chapters) == sorted(p.stem for p in NOTEBOOKS), "run: python -m reasonlab.book toc"
    assert len(set(files)) == len(files), "a page is listed twice"
    for f in files:
        if not f.startswith("book/chapters/"):
            assert (ROOT / f"{f}.md").exists(), f"_toc.yml lists {f} but {f}.md does not exist"


def test_toc_is_current():
    assert (ROOT / "_toc.yml").read_text() == book.toc_text(), "_toc.yml is stale: python -m reasonlab.book toc"


def test_toc_order_and_filter(tmp_path):
    for name in ("zeta", "alpha", "theory_markov", "testbed", "_draft", ".hidden"):
        (tmp_path / f"{name}.ipynb").write_text("{}")
    names = [p.stem for p in book.list_notebooks(tmp_path)]
    assert names == ["testbed", "theory_markov", "alpha", "zeta"]
    assert [p.stem for p in book.list_notebooks(tmp_path, only=["zeta"])] == ["zeta"]
    with pytest.raises(SystemExit, match="nope"):
        book.list_notebooks(tmp_path, only=["nope"])
    text = book.toc_text(notebook_dir=tmp_path)
    assert text.index("book/chapters/testbed") < text.index("book/chapters/zeta")
    assert "_draft" not in text and "hidden" not in text


# --------------------------------------------------------------------------------------------- config
def test_config_is_offline_and_does_not_execute():
    cfg = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert cfg["execute"]["execute_notebooks"] == "off"
    sphinx = cfg["sphinx"]["config"]
    remote = re.compile(r"^(https?:)?//")
    assert not remote.match(sphinx["mathjax_path"]), "MathJax must come from the vendored copy"
    assert sphinx["mathjax_path"] in book.VENDOR_REQUIRED
    js = sphinx["nb_ipywidgets_js"]
    assert js and not any(remote.match(u) for u in js), "widget JS must come from the vendored copy"
    assert all(u in book.VENDOR_REQUIRED for u in js)
    for attrs in js.values():
        assert not any(remote.match(str(v)) for v in attrs.values())
    assert "book/_static" in sphinx["html_static_path"]


def test_config_has_no_thebe_and_wraps_code():
    cfg = yaml.safe_load((ROOT / "_config.yml").read_text())
    sphinx = cfg["sphinx"]["config"]
    # sphinx_thebe would put a remote THEBE_JS_URL and a placeholder Binder repository into every page.
    assert "sphinx_thebe" not in sphinx["extensions"]
    assert {"myst_nb", "jupyter_book", "sphinx_book_theme", "sphinxcontrib.bibtex"} <= set(sphinx["extensions"])
    assert not cfg["launch_buttons"].get("thebe") and not any(
        cfg["launch_buttons"].get(k) for k in ("binderhub_url", "jupyterhub_url", "colab_url"))
    static = ROOT / "book" / "_static"
    for css in sphinx["html_css_files"]:
        assert (static / css).is_file()
    assert any("white-space: pre-wrap" in (static / css).read_text() for css in sphinx["html_css_files"])
    # The widget manager's module paths are set after RequireJS and before the manager (fonts load offline).
    js = list(sphinx["nb_ipywidgets_js"])
    assert js.index("vendor/requirejs/require.js") < js.index("widgets-setup.js") < js.index(
        "vendor/html-manager/embed-amd.js")
    assert (static / "widgets-setup.js").is_file()


def test_bibliography_has_the_cited_keys():
    bib = (ROOT / "book" / "references.bib").read_text()
    keys = set(re.findall(r"@\w+\{([^,]+),", bib))
    required = {"zhang2025interplay", "bu2025distributional", "kim2025metastable", "zhou2025gsminfinite",
                "shao2024deepseekmath", "yue2025doesrl", "chen2021codex"}
    assert required <= keys
    cited = set()
    for page in (ROOT / "book").glob("*.md"):
        for group in re.findall(r"\{cite(?::\w+)?\}`([^`]+)`", page.read_text()):
            cited.update(k.strip() for k in group.split(","))
    assert cited <= keys, f"cited but not in references.bib: {sorted(cited - keys)}"


def test_glossary_terms():
    text = (ROOT / "book" / "glossary.md").read_text()
    block = text.split("```{glossary}", 1)[1].split("```", 1)[0]
    terms = {line.strip() for line in block.splitlines() if line and not line.startswith(" ")}
    assert {"op", "band", "context", "exposure", "pass@k", "process accuracy", "edge of competence"} <= terms
    assert {"GRPO", "RLVR", "ORM", "PRM", "R_out", "R_pv", "strict reward", "outcome pass@k", "edge filter",
            "mid-training", "KL", "ProcessAcc", "VerifiedCorrect", "op(G)", "in-distribution", "OOD-edge",
            "OOD-hard", "template", "exposure share", "RL share", "token-equivalent compute",
            "paired bootstrap interval", "unseen-shape test", "graph shape"} <= terms


def test_pages_cite_the_paper_not_the_digest():
    """Readers have the paper, not the team's digest (paper.md): pages cite the paper's own sections."""
    for page in [*(ROOT / "book").glob("*.md"), *(ROOT / "notebooks").glob("*.ipynb")]:
        assert "paper.md" not in page.read_text(), f"{page.name} cites paper.md"
    from reasonlab.experiments import list_recipes, recipe_info

    for rid in list_recipes():
        info = recipe_info(rid)
        for text in (info.paper_ref, info.question, info.finding, info.compare):
            assert "paper.md" not in text, f"recipe {rid} cites paper.md"


# ------------------------------------------------------------------------------------- offline check
@pytest.mark.parametrize("html, remote", [
    ('<script src="https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-mml-chtml.js"></script>', True),
    ("<script src='//cdnjs.cloudflare.com/require.min.js'></script>", True),
    ('<link rel="stylesheet" href="https://fonts.googleapis.com/css">', True),
    ('<img src="http://example.org/a.png">', True),
    ('<script src="../_static/vendor/requirejs/require.js"></script>', False),
    ('<a href="https://arxiv.org/abs/2512.07783">paper</a>', False),
    ('<link rel="canonical" href="https://example.org/">', False),
])
def test_remote_references(html, remote):
    assert bool(book.remote_references(html)) is remote


# ---------------------------------------------------------------------------------------------- plots
def test_save_figure_writes_png(tmp_path, monkeypatch):
    monkeypatch.setenv("REASONLAB_FIGURES", str(tmp_path / "figs"))
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    path = plots.save_figure(fig, "demo")
    plt.close(fig)
    assert path == tmp_path / "figs" / "demo.png"
    assert path.read_bytes().startswith(b"\x89PNG")
    with pytest.raises(ValueError):
        plots.save_figure(fig, "../escape")


def test_figures_dir_default(monkeypatch):
    monkeypatch.delenv("REASONLAB_FIGURES", raising=False)
    assert plots.figures_dir() == ROOT / "_build" / "figures"


def test_caption_is_provenance_line():
    manifest = make_manifest("eval", {"recipe": "edge", "scale": "smoke"}, wall_time_s=1.5)
    assert plots.caption(manifest) == provenance_line(manifest)
    assert "scale smoke" in plots.caption(manifest)


def test_plot_pass_at_k():
    plots.use_style()
    fig, ax = plt.subplots()
    ks = [1, 2, 4, 8]
    line = plots.plot_pass_at_k(ax, ks, [0.1, 0.2, 0.3, 0.4], [0.05, 0.1, 0.2, 0.3], [0.15, 0.3, 0.4, 0.5], "base")
    assert ax.get_xscale() == "log"
    assert len(ax.collections) == 1, "the CI band"
    assert line.get_label() == "base"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["1", "2", "4", "8"]
    plt.close(fig)


# -------------------------------------------------------------------------------- papermill execution
def _notebook(source_cells: list[str]) -> dict:
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell('scale = "laptop"\nseed = 0\nfresh = False', metadata={"tags": ["parameters"]})]
    nb.cells += [nbformat.v4.new_code_cell(s) for s in source_cells]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


@pytest.mark.slow
def test_execute_injects_parameters_and_names_failures(tmp_path, capsys, monkeypatch):
    import nbformat

    monkeypatch.delenv("REASONLAB_FIGURES", raising=False)
    src, out = tmp_path / "nb", tmp_path / "out"
    src.mkdir()
    nbformat.write(_notebook(["print(scale, fresh, seed)", "import os; print(os.environ['REASONLAB_FIGURES'])"]),
                   src / "good.ipynb")
    nbformat.write(_notebook(["raise RuntimeError('boom')"]), src / "bad.ipynb")
    with pytest.raises(SystemExit, match="bad.ipynb"):
        book.execute(scale="smoke", fresh=True, seed=3, out=out, notebook_dir=src)
    good = nbformat.read(out / "good.ipynb", as_version=4)
    text = "".join(o.get("text", "") for c in good.cells if c.cell_type == "code" for o in c.get("outputs", []))
    assert "smoke True 3" in text
    assert str(ROOT / "_build" / "figures" / "smoke") in text, "figure files go to one folder per scale"
    injected = [c for c in good.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert injected and "hide-cell" in injected[0].metadata["tags"]
    assert "FAILED bad.ipynb" in capsys.readouterr().out


def test_provenance_gives_long_wall_times_in_minutes():
    short = provenance_line(make_manifest("x", {"a": 1}, wall_time_s=12.34))
    long = provenance_line(make_manifest("x", {"a": 1}, wall_time_s=2976.7))
    assert "wall time 12.3 s" in short and "wall time 50 min" in long
