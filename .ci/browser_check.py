"""Open every page of the built book in headless Chromium and check what a reader would see.

    python .ci/browser_check.py [_build/html]

Serves the HTML on 127.0.0.1 (http.server in a thread), loads each page listed in _toc.yml with
Chromium (--dump-dom after scripts ran; every other host unreachable), and fails if:
  - a chapter page (book/chapters/*) has no figure: an <img> whose file exists, is a non-empty image
    with a positive width, and that the browser actually fetched from the server;
  - any page shows an error output or a traceback;
  - a page with math did not get it typeset by the vendored MathJax, or a page with widgets did not
    get them rendered by the vendored widget manager;
  - a page loads a script, stylesheet or image from another host.
Prints one summary line per page. Not collected by pytest (lives in .ci/).
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import threading
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlparse

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage", "--hide-scrollbars", "--mute-audio",
    # No host but the local server resolves: a CDN reference cannot silently work.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    "--virtual-time-budget=20000", "--run-all-compositor-stages-before-draw",
]
ERROR_MARKERS = (
    (re.compile(r'class="[^"]*\boutput\b[^"]*\b(traceback|error)\b'), "an error output cell"),
    (re.compile(r"Traceback \(most recent call last\)"), "a Python traceback"),
    (re.compile(r'class="[^"]*\bsystem-message\b'), "a docutils system message"),
)


class _Handler(http.server.SimpleHTTPRequestHandler):
    log: list[tuple[str, int]] = []

    def log_request(self, code="-", size="-"):  # noqa: D102 - record, don't print
        _Handler.log.append((unquote(urlparse(self.path).path), int(code) if str(code).isdigit() else 0))

    def log_message(self, *args):  # quiet
        pass


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.imgs, self.remote = [], []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "img" and a.get("src"):
            self.imgs.append(a["src"])
        url = a.get("src") if tag in ("script", "img", "iframe") else None
        if tag == "link" and re.search(r"stylesheet|preload|icon", a.get("rel") or ""):
            url = a.get("href")
        if url and re.match(r"^(https?:)?//", url) and not url.startswith(("http://127.0.0.1", "//127.0.0.1")):
            self.remote.append(url)


def image_width(path: Path) -> int:
    """Pixel width of a PNG/JPEG/GIF/SVG file (0 if unreadable): the file-level view of naturalWidth."""
    data = path.read_bytes()[:65536]
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        return struct.unpack(">I", data[16:20])[0]
    if data.startswith(b"GIF8") and len(data) >= 10:
        return struct.unpack("<H", data[6:8])[0]
    if data.startswith(b"\xff\xd8"):
        i = 2
        while i + 9 < len(data):
            if data[i] != 0xFF:
                return 0
            marker, length = data[i + 1], struct.unpack(">H", data[i + 2:i + 4])[0]
            if marker in (0xC0, 0xC1, 0xC2):
                return struct.unpack(">H", data[i + 7:i + 9])[0]
            i += 2 + length
        return 0
    if b"<svg" in data:
        return 1
    return 0


def toc_pages(toc: Path) -> list[str]:
    """Page paths (without suffix) listed in _toc.yml, root first."""
    pages = []
    for line in toc.read_text().splitlines():
        m = re.match(r"\s*(?:-\s*)?(?:root|file):\s*(\S+)", line)
        if m:
            pages.append(m.group(1))
    return pages


def dump_dom(chromium: str, url: str, timeout: int = 180) -> str:
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        cmd = [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--dump-dom", url]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    if proc.returncode != 0 or "<html" not in proc.stdout.lower():
        raise RuntimeError(f"chromium exited {proc.returncode}: {proc.stderr.strip()[-600:]}")
    return proc.stdout


def check_page(chromium: str, html_dir: Path, base: str, page: str, is_chapter: bool) -> tuple[bool, str]:
    rel = f"{page}.html"
    source = (html_dir / rel).read_text(errors="replace")
    url = f"{base}/{rel}"
    start = len(_Handler.log)
    dom = dump_dom(chromium, url)
    fetched = {p for p, code in _Handler.log[start:] if code == 200}
    problems = []

    tags = _Tags()
    tags.feed(dom)
    good_imgs = checked = 0
    for src in tags.imgs:
        target = urlparse(urljoin(url, src))
        if src.startswith("data:") or target.netloc != urlparse(base).netloc:
            continue  # inline images (widgets) and remote ones (reported below) are not figure files
        checked += 1
        local = html_dir / unquote(target.path).lstrip("/")
        ok = local.is_file() and local.stat().st_size > 0 and image_width(local) > 0 and unquote(target.path) in fetched
        good_imgs += ok
        if not ok and is_chapter:
            problems.append(f"image not loaded: {src}")
    if is_chapter and good_imgs == 0:
        problems.append("no figure (no <img> that exists and loaded)")
    for pattern, what in ERROR_MARKERS:
        if pattern.search(dom):
            problems.append(f"shows {what}")
    if tags.remote:
        problems.append(f"loads from other hosts: {sorted(set(tags.remote))[:3]}")

    n_math = len(re.findall(r'class="[^"]*\bmath\b', source))
    n_mjx = dom.count("<mjx-container")
    if n_math and not n_mjx:
        problems.append(f"{n_math} math element(s) not typeset (MathJax did not load?)")
    n_widget_views = source.count("application/vnd.jupyter.widget-view+json")
    n_widgets_rendered = len(re.findall(r'class="[^"]*\b(jupyter-widgets|widget-[a-z-]+)\b', dom))
    if n_widget_views and not n_widgets_rendered:
        problems.append(f"{n_widget_views} widget(s) not rendered (widget manager did not load?)")

    summary = (f"{rel}: {good_imgs}/{checked} img loaded, math {n_mjx}/{n_math} typeset, "
               f"widgets {n_widget_views} view(s)/{n_widgets_rendered} rendered node(s)")
    if problems:
        return False, f"FAIL {summary}; " + "; ".join(problems)
    return True, f"ok   {summary}"


def main(argv: list[str]) -> int:
    html_dir = Path(argv[1] if len(argv) > 1 else ROOT / "_build" / "html").resolve()
    chromium = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        print("browser check: chromium not found (Debian: apt-get install -y chromium)")
        return 2
    pages = toc_pages(ROOT / "_toc.yml")
    missing = [p for p in pages if not (html_dir / f"{p}.html").is_file()]
    if missing:
        print(f"browser check: pages listed in _toc.yml but not built: {missing}")
        return 1
    handler = functools.partial(_Handler, directory=str(html_dir))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    chapters = [p for p in pages if p.startswith("book/chapters/")]
    print(f"browser check: {len(pages)} page(s), {len(chapters)} chapter(s), served from {html_dir} at {base}")
    failed = 0
    try:
        for page in pages:
            try:
                ok, line = check_page(chromium, html_dir, base, page, page in chapters)
            except (RuntimeError, subprocess.TimeoutExpired) as exc:
                ok, line = False, f"FAIL {page}.html: {exc}"
            failed += not ok
            print(line, flush=True)
    finally:
        server.shutdown()
    print(f"browser check: {len(pages) - failed} page(s) ok, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
