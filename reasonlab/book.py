"""Book tooling: execute the chapter notebooks, write the table of contents, vendor the offline JS.

    python -m reasonlab.book execute [--scale laptop] [--fresh] [--seed 0] [--out DIR] [--only NAME ...]
    python -m reasonlab.book toc [--check]       # (re)write _toc.yml from the notebooks that exist
    python -m reasonlab.book vendor              # MathJax, RequireJS, ipywidgets embed JS -> book/_static/vendor
    python -m reasonlab.book check-offline DIR   # fail if built HTML loads a script or style from another host

Notebooks live in `notebooks/` without outputs. `execute` runs each with papermill (parameters
`scale`, `fresh`, `seed`) into an executed copy, by default `book/chapters/<name>.ipynb`, which the
toc references; Jupyter Book then only renders (`execute_notebooks: "off"`).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

from reasonlab.provenance import REPO_ROOT
from reasonlab.chapters import CHAPTERS
from reasonlab.chapters.scoreboard import write as write_scoreboard
from reasonlab.experiments.scales import SCALES

SCOREBOARD_PATH = REPO_ROOT / "book" / "_generated" / "scoreboard.md"  # included by book/intro.md; not in git

NOTEBOOK_DIR = REPO_ROOT / "notebooks"
CHAPTERS_DIR = REPO_ROOT / "book" / "chapters"
VENDOR_DIR = REPO_ROOT / "book" / "_static" / "vendor"
TOC_PATH = REPO_ROOT / "_toc.yml"

# Reading order of the chapters: the registry's (reasonlab/chapters/__init__.py). A notebook without a chapter
# module there still goes into the book, after these, alphabetically.
CHAPTER_ORDER = tuple(CHAPTERS)

# Prose pages around the chapters (paths without suffix, relative to the book root).
FRONT_PAGES = ("book/reproduce",)
BACK_PAGES = ("book/lab-notes", "book/glossary", "book/bibliography")

# Pinned npm packages vendored for the offline HTML: (package, version, {file in package: file in vendor dir}).
# Directories are copied whole. MathJax 3 matches Sphinx 7's mathjax3_config; html-manager 1.x matches ipywidgets 8.
VENDOR_PACKAGES = (
    ("mathjax", "3.2.2", {
        "es5/tex-mml-chtml.js": "mathjax/tex-mml-chtml.js",
        "es5/output/chtml/fonts/woff-v2": "mathjax/output/chtml/fonts/woff-v2",
        "es5/input/tex/extensions": "mathjax/input/tex/extensions",
        "es5/ui": "mathjax/ui",
        "LICENSE": "mathjax/LICENSE",
    }),
    ("requirejs", "2.3.8", {"require.js": "requirejs/require.js", "package.json": "requirejs/package.json"}),
    ("@jupyter-widgets/html-manager", "1.0.15", {"dist": "html-manager", "package.json": "html-manager/package.json"}),
)
VENDOR_SKIP = ("*.map", "embed.js", "libembed-amd.js", "*.LICENSE.txt")  # unused bundles and source maps
# Files the built HTML refers to (paths under _static/); `make book` fails early if one is missing.
# widgets-setup.js is not fetched but kept in book/_static: it maps the widget manager's AMD modules onto
# vendor/html-manager/, where their icon fonts are (without it the fonts 404 next to each page), and gives
# the manager the MathJax 2 call it makes (Hub.Queue) on top of MathJax 3.
VENDOR_REQUIRED = ("vendor/mathjax/tex-mml-chtml.js", "vendor/requirejs/require.js", "widgets-setup.js",
                   "vendor/html-manager/embed-amd.js")


# ----------------------------------------------------------------------------------------- notebooks
def list_notebooks(notebook_dir: Path = NOTEBOOK_DIR, only: list[str] | None = None) -> list[Path]:
    """Chapter notebooks in reading order (CHAPTER_ORDER first, then the rest alphabetically)."""
    found = {p.stem: p for p in Path(notebook_dir).glob("*.ipynb") if not p.name.startswith((".", "_"))}
    order = [n for n in CHAPTER_ORDER if n in found] + sorted(n for n in found if n not in CHAPTER_ORDER)
    if only:
        only = [Path(n).stem for n in only]
        missing = [n for n in only if n not in found]
        if missing:
            raise SystemExit(f"no notebook named {missing} in {notebook_dir}; have {order}")
        order = [n for n in order if n in only]
    return [found[n] for n in order]


def _tag_injected_cell(path: Path) -> None:
    """Fold papermill's injected-parameters cell in the book (it stays in the notebook)."""
    import nbformat  # here: only executing notebooks needs it (~1.5 s to import)

    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        tags = cell.get("metadata", {}).get("tags", [])
        if "injected-parameters" in tags and "hide-cell" not in tags:
            cell["metadata"]["tags"] = [*tags, "hide-cell"]
    nbformat.write(nb, path)


def execute(scale: str = "laptop", fresh: bool = False, seed: int = 0, out: Path = CHAPTERS_DIR,
            only: list[str] | None = None, notebook_dir: Path = NOTEBOOK_DIR, keep_going: bool = True,
            timeout: float | None = None) -> list[tuple[str, float]]:
    """Execute every notebook with papermill into `out`; raise SystemExit naming the ones that failed."""
    notebooks = list_notebooks(notebook_dir, only)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    # live=False: headless, so the chapters show what each widget does instead of a control nobody can move
    params = {"scale": scale, "fresh": bool(fresh), "seed": int(seed), "live": False}
    # Figure files (reasonlab.plots.save_figure) go to one folder per scale unless the caller chose one;
    # the kernels inherit this process's environment while they run.
    figures_env = os.environ.get("REASONLAB_FIGURES")
    os.environ["REASONLAB_FIGURES"] = figures_env or str(REPO_ROOT / "_build" / "figures" / scale)
    try:
        times = _execute_all(notebooks, out, params, keep_going, timeout)
    finally:
        if figures_env is None:
            os.environ.pop("REASONLAB_FIGURES", None)
    # Executed copies of notebooks that no longer exist would linger in the book: drop them.
    if out.resolve() == CHAPTERS_DIR.resolve() and not only:
        names = {nb.name for nb in notebooks}
        for stale in out.glob("*.ipynb"):
            if stale.name not in names:
                stale.unlink()
    return times


def _execute_all(notebooks: list[Path], out: Path, params: dict, keep_going: bool,
                 timeout: float | None) -> list[tuple[str, float]]:
    import papermill as pm  # here: only executing notebooks needs it (~1.5 s to import)

    scale = params["scale"]
    source = notebooks[0].parent if notebooks else "-"
    print(f"[book] executing {len(notebooks)} notebook(s) from {source} -> {out} with {params}", flush=True)
    times, failed = [], []
    for nb in notebooks:
        target = out / nb.name
        t0 = time.perf_counter()
        print(f"[book] {nb.stem}: running ...", flush=True)
        try:
            pm.execute_notebook(str(nb), str(target), parameters=params, kernel_name="python3", cwd=str(nb.parent),
                                progress_bar=False, log_output=False, execution_timeout=timeout)
        except Exception as exc:  # noqa: BLE001 - report every failure, by notebook
            dt = time.perf_counter() - t0
            reason = getattr(exc, "ename", type(exc).__name__) + ": " + str(getattr(exc, "evalue", exc)).strip()
            print(f"[book] FAILED {nb.name} after {dt:.1f} s: {reason.splitlines()[0] if reason else ''}", flush=True)
            print(f"[book]   the executed copy with the traceback is {target}", flush=True)
            failed.append(nb.name)
            if not keep_going:
                break
            continue
        dt = time.perf_counter() - t0
        _tag_injected_cell(target)
        times.append((nb.stem, dt))
        print(f"[book] {nb.stem}: ok in {dt:.1f} s", flush=True)
    total = sum(t for _, t in times)
    print("[book] wall time: " + ", ".join(f"{n} {t:.1f} s" for n, t in times) + f"; total {total:.1f} s", flush=True)
    if failed:
        raise SystemExit(f"[book] notebook(s) failed at scale {scale!r}: {', '.join(failed)}")
    return times


# ----------------------------------------------------------------------------------------------- toc
def toc_text(notebook_dir: Path = NOTEBOOK_DIR, root: Path = REPO_ROOT) -> str:
    """The _toc.yml for the notebooks that exist (chapters that are not built are not listed)."""
    chapters = [f"book/chapters/{nb.stem}" for nb in list_notebooks(notebook_dir)]
    back = [p for p in BACK_PAGES if (root / f"{p}.md").exists()]
    lines = [
        "# Generated by `python -m reasonlab.book toc` (run by `make book`): edit CHAPTERS in",
        "# reasonlab/chapters/__init__.py, not this file. Chapters point at the executed copies in book/chapters/.",
        "format: jb-book",
        "root: book/intro",
        "parts:",
        "  - caption: Start here",
        "    chapters:",
        *[f"      - file: {p}" for p in FRONT_PAGES],
    ]
    if chapters:
        lines += ["  - caption: Chapters", "    chapters:", *[f"      - file: {c}" for c in chapters]]
    lines += ["  - caption: Reference", "    chapters:", *[f"      - file: {p}" for p in back]]
    return "\n".join(lines) + "\n"


def write_toc(check: bool = False, path: Path = TOC_PATH) -> bool:
    """Write _toc.yml; with check=True only report whether it is current. Returns True if current."""
    text = toc_text()
    current = path.exists() and path.read_text() == text
    if check:
        print(f"[book] {path.name} is {'current' if current else 'STALE: run python -m reasonlab.book toc'}")
        return current
    if not current:
        path.write_text(text)
        print(f"[book] wrote {path}")
    return True


# -------------------------------------------------------------------------------------------- vendor
def vendor(dest: Path = VENDOR_DIR, cache: Path | None = None) -> Path:
    """Fetch the pinned npm packages with `npm pack` (cached) and copy the needed files into `dest`."""
    cache = Path(cache or os.environ.get("REASONLAB_NPM_CACHE", Path.home() / ".cache" / "reasonlab" / "npm"))
    cache.mkdir(parents=True, exist_ok=True)
    npm = shutil.which("npm")
    tmp_dest = Path(tempfile.mkdtemp(prefix="vendor-", dir=dest.parent if dest.parent.exists() else None))
    try:
        for package, version, files in VENDOR_PACKAGES:
            tgz = cache / (package.lstrip("@").replace("/", "-") + f"-{version}.tgz")
            if not tgz.exists():
                if npm is None:
                    raise SystemExit("[book] vendoring the offline JS needs npm (Debian: apt-get install -y npm); "
                                     f"missing {tgz.name}")
                print(f"[book] npm pack {package}@{version}", flush=True)
                subprocess.run([npm, "pack", f"{package}@{version}", "--silent", "--pack-destination", str(cache)],
                               check=True, stdout=subprocess.DEVNULL)
            unpack = Path(tempfile.mkdtemp(prefix="npm-", dir=tmp_dest))
            with tarfile.open(tgz) as tar:
                tar.extractall(unpack, filter="data")
            for src_rel, dst_rel in files.items():
                src, dst = unpack / "package" / src_rel, tmp_dest / dst_rel
                dst.parent.mkdir(parents=True, exist_ok=True)
                if src.is_dir():
                    shutil.copytree(src, dst, ignore=shutil.ignore_patterns(*VENDOR_SKIP))
                else:
                    shutil.copy2(src, dst)
            shutil.rmtree(unpack)
        (tmp_dest / "VERSIONS.txt").write_text("".join(f"{p}@{v}\n" for p, v, _ in VENDOR_PACKAGES))
        if dest.exists():
            shutil.rmtree(dest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp_dest.rename(dest)
    finally:
        if tmp_dest.exists():
            shutil.rmtree(tmp_dest)
    missing = [f for f in VENDOR_REQUIRED if not (dest.parent / f).exists()]
    if missing:
        raise SystemExit(f"[book] vendoring incomplete, missing {missing}")
    print(f"[book] vendored {', '.join(f'{p}@{v}' for p, v, _ in VENDOR_PACKAGES)} into {dest}", flush=True)
    return dest


# ------------------------------------------------------------------------------------- offline check
_REMOTE_TAG = re.compile(
    r"<(script|link|img|iframe)\b[^>]*?\b(src|href)\s*=\s*[\"']?((?:https?:)?//[^\"'\s>]+)", re.IGNORECASE)


def remote_references(html: str) -> list[str]:
    """Scripts, stylesheets, images and frames that a page loads from another host.

    Plain links (<a href>) and <link rel=canonical/...> are not loads; <link> counts only as a stylesheet,
    preload or icon.
    """
    found = []
    for m in _REMOTE_TAG.finditer(html):
        tag_text = html[m.start(): html.find(">", m.end()) + 1]
        if m.group(1).lower() == "link" and not re.search(r"rel\s*=\s*[\"']?(stylesheet|preload|modulepreload|icon)",
                                                          tag_text, re.IGNORECASE):
            continue
        found.append(m.group(3))
    return found


def check_offline(html_dir: Path) -> int:
    """Print and count remote loads in every built page."""
    bad = 0
    for page in sorted(Path(html_dir).rglob("*.html")):
        refs = remote_references(page.read_text(errors="replace"))
        for ref in refs:
            print(f"[book] {page.relative_to(html_dir)} loads a remote resource: {ref}")
        bad += len(refs)
    print(f"[book] offline check of {html_dir}: {'ok' if not bad else f'{bad} remote load(s)'}")
    return bad


# ----------------------------------------------------------------------------------------------- cli
def _truthy(value: str | None) -> bool:
    return str(value or "").strip().lower() in {"1", "true", "yes", "on"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m reasonlab.book", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    ex = sub.add_parser("execute", help="run every notebook with papermill")
    ex.add_argument("--scale", default=os.environ.get("SCALE") or "laptop", choices=list(SCALES))
    ex.add_argument("--fresh", action="store_true", default=_truthy(os.environ.get("FRESH")),
                    help="recompute instead of loading committed results (env FRESH=1 does the same)")
    ex.add_argument("--seed", type=int, default=0)
    ex.add_argument("--out", type=Path, default=CHAPTERS_DIR, help="folder for the executed copies")
    ex.add_argument("--only", action="append", help="a notebook name (repeatable)")
    ex.add_argument("--notebooks", type=Path, default=NOTEBOOK_DIR, help="folder of the source notebooks")
    ex.add_argument("--stop-on-error", action="store_true", help="stop at the first failing notebook")
    ex.add_argument("--timeout", type=float, default=None, help="seconds per cell")
    toc = sub.add_parser("toc", help="write _toc.yml from the notebooks that exist")
    toc.add_argument("--check", action="store_true", help="only check that _toc.yml is current")
    sb = sub.add_parser("scoreboard", help="write the intro page's scoreboard from the committed results")
    sb.add_argument("--scale", default=os.environ.get("SCALE") or "laptop", choices=list(SCALES))
    sb.add_argument("--seed", type=int, default=0)
    sub.add_parser("vendor", help="vendor MathJax, RequireJS and the ipywidgets embed JS for offline HTML")
    off = sub.add_parser("check-offline", help="fail if built pages load remote scripts or styles")
    off.add_argument("html_dir", type=Path, nargs="?", default=REPO_ROOT / "_build" / "html")
    args = parser.parse_args(argv)

    if args.cmd == "execute":
        execute(args.scale, args.fresh, args.seed, args.out, args.only, args.notebooks,
                keep_going=not args.stop_on_error, timeout=args.timeout)
    elif args.cmd == "toc":
        return 0 if write_toc(check=args.check) else 1
    elif args.cmd == "scoreboard":
        print(f"[book] scoreboard -> {write_scoreboard(SCOREBOARD_PATH, args.scale, args.seed)}")
    elif args.cmd == "vendor":
        vendor()
    elif args.cmd == "check-offline":
        return 1 if check_offline(args.html_dir) else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
