"""Open a chapter live in JupyterLab, in headless Chromium, and check that moving its widget re-renders its figure.

    python .ci/live_widget_check.py [NOTEBOOK]      (default: exposure.ipynb; needs `make lab`'s JupyterLab)

Starts JupyterLab on notebooks/ (local only, no token, the app exposed to the page), opens the notebook, runs all
its cells in a kernel (the parameters cell has live = True, so the chapter builds its ipywidgets, not the static
picker), then clicks the widget's other toggle button (the k of pass@k) and fails unless the figure in the
widget's output area is replaced by a different image. Reuses .ci/browser_check.py's DevTools driver. Not
collected by pytest (lives in .ci/).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("browser_check", ROOT / ".ci" / "browser_check.py")
browser_check = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(browser_check)

# The widget's output image, and its toggle buttons (ipywidgets 8 in JupyterLab 4).
STATE_JS = """(() => {
  const img = document.querySelector('.widget-output img');
  const buttons = [...document.querySelectorAll('.widget-toggle-buttons button')];
  return {src: img ? img.src.slice(-64) : null, n: buttons.length,
          active: buttons.findIndex(b => b.classList.contains('mod-active'))};
})()"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(predicate, timeout: float, what: str, interval: float = 0.5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")


def main(argv: list[str]) -> int:
    notebook = argv[0] if argv else "exposure.ipynb"
    chromium = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    lab = shutil.which("jupyter-lab", path=str(Path(sys.executable).parent))
    if not chromium or not lab:
        print(f"live widget check: {'chromium' if not chromium else 'jupyter-lab (make lab installs it)'} not found")
        return 2
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [lab, "--no-browser", f"--port={port}", "--ip=127.0.0.1", "--ServerApp.token=", "--ServerApp.password=",
         "--ServerApp.disable_check_xsrf=True", "--LabApp.expose_app_in_browser=True", "--allow-root",
         f"--ServerApp.root_dir={ROOT / 'notebooks'}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    problems = []
    try:
        _wait(lambda: _status_ok(base), 120, "JupyterLab to start")
        with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
            browser = browser_check.Browser(chromium, profile)
            try:
                browser.open_page(1280, 1000)
                browser.send("Page.navigate", {"url": f"{base}/lab/tree/{notebook}"})
                _wait(lambda: browser.evaluate("!!(window.jupyterapp && window.jupyterapp.shell.currentWidget "
                                               "&& window.jupyterapp.shell.currentWidget.sessionContext "
                                               "&& window.jupyterapp.shell.currentWidget.sessionContext.session)"),
                      120, "the notebook and its kernel")
                t0 = time.monotonic()
                browser.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
                before = _wait(lambda: (lambda s: s if s["src"] and s["n"] >= 2 else None)(browser.evaluate(STATE_JS)),
                               600, "the live widget and its first figure")
                # the run goes on below the widget: wait until the kernel is idle and the figure has stayed the
                # same for a while, so that only the click can change it
                idle = ("window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.status === 'idle'")
                _wait(lambda: browser.evaluate(idle), 600, "the kernel to finish the notebook")
                before = _steady(browser, seconds=5)
                print(f"live widget check: {notebook} ran in {time.monotonic() - t0:.0f} s; its widget has "
                      f"{before['n']} toggle buttons, option {before['active']} active, and a figure that stays put")
                other = (before["active"] + 1) % before["n"]
                browser.evaluate(f"document.querySelectorAll('.widget-toggle-buttons button')[{other}].click()")
                after = _wait(lambda: (lambda s: s if s["src"] and s["src"] != before["src"] else None)(
                    browser.evaluate(STATE_JS)), 120, "the figure to be redrawn")
                if after["active"] != other:
                    problems.append(f"clicked option {other}, but option {after['active']} is active")
            finally:
                browser.close()
    except (TimeoutError, RuntimeError) as exc:
        problems.append(str(exc))
    finally:
        server.terminate()
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            server.kill()
    for p in problems:
        print(f"  FAIL {p}")
    print(f"live widget check: {'ok' if not problems else 'failed'}: moving the widget "
          f"{'re-rendered' if not problems else 'did not re-render'} its figure")
    return 1 if problems else 0


def _steady(browser, seconds: float) -> dict:
    """The widget's state once its figure has not changed for `seconds`."""
    last, since = None, time.monotonic()
    deadline = since + 120
    while time.monotonic() < deadline:
        state = browser.evaluate(STATE_JS)
        if last is None or state["src"] != last["src"]:
            last, since = state, time.monotonic()
        elif time.monotonic() - since >= seconds:
            return last
        time.sleep(0.5)
    raise TimeoutError("the widget's figure kept changing without a click")


def _status_ok(base: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base}/api/status", timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
