"""Open every page of the built book in headless Chromium and check what a reader would see.

    python .ci/browser_check.py [_build/html]

Serves the HTML on 127.0.0.1 (http.server in a thread), drives one headless Chromium over the DevTools
protocol (a pipe, no extra Python package; every host but the local server unreachable), loads each page
listed in _toc.yml with the cache off, waits until the network is idle and MathJax has typeset, and
fails a page if:
  - a chapter page (book/chapters/*) has no figure: an <img> whose file exists, is a non-empty image
    with a positive width, and that the browser actually fetched from the server;
  - it shows an error output or a traceback;
  - it has math that the vendored MathJax did not typeset, or widgets that the vendored widget manager
    did not render;
  - it loads (or tries to load) anything from another host: a <script>, stylesheet or image in the
    HTML, or any request the page's scripts make at run time (fonts, modules, a kernel);
  - the browser console shows an error: an uncaught exception, console.error, or a browser log entry
    of level error (SEVERE), e.g. "Identifier 'X' has already been declared";
  - a request fails: any HTTP status >= 400 (a 404 font or script) or a network error;
  - text is cut off on the right: an element that clips its overflow (overflow hidden/clip) with
    text running past its right edge; a code block (<pre>) that does not wrap, so its lines need a
    scrollbar; or content that makes the page wider than the viewport (checked at a desktop and a
    narrow width). Content inside a horizontal scroll container (tables) is fine;
  - chapter code flagged an empty plot panel: an element with class `reasonlab-empty-panel`, or the text
    "EMPTY PANEL" on the page (the hook for figures whose panels have nothing to show).
  - a static picker (an element with `data-reasonlab-picker`, made by reasonlab.widgets.static_picker) does
    not re-render its figure when a reader picks another option: each option's label is clicked (a real mouse
    click at its position), and then that option must be checked and exactly its own figure shown, with its
    image decoded and visible, and different from the other options' images;
  - a k control (an element with `data-reasonlab-kcontrol`, made by reasonlab.k_control) does not redraw pass@k
    when a reader moves its slider: the slider is clicked (a real mouse click) at its left end, its middle and its
    right end, and each time the k it shows must be the slider's (1 at the left, the largest at the right) and every
    cell must read what reasonlab.k_control.values (evaluate.pass_at_k) computes from the control's own embedded
    counts at that k;
  - the page shows what a reader cannot use (issue 26): a table cell that reads "NaN" (or "nan", "None", "<NA>");
    a table cell cut off with "..." (pandas' display.max_colwidth); a blockquote starting with "=" (a line of
    prose that began with ">=", which Markdown reads as a quote); a heading with nothing under it;
  - a chapter figure a reader cannot read: its smallest text below reasonlab.plots.MIN_TEXT_PX once the page has
    scaled the image to its column (at each width checked), or a line drawn exactly under another one that the
    figure does not name. Both come from the figure itself: every PNG the chapters show carries them as text
    chunks (reasonlab.plots.figure_stamp), and a chapter figure without them fails too.
Prints one summary line per page and the problems under it. Not collected by pytest (lives in .ci/).
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import threading
import time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from reasonlab.k_control import DIGITS, K_CONTROL_ATTR, NO_VALUE  # noqa: E402 - the k control's marker and format
from reasonlab.k_control import values as k_values  # noqa: E402 - what its cells must read, in Python
from reasonlab.plots import MIN_TEXT_PX, STAMP_HIDDEN, STAMP_TEXT  # noqa: E402 - the figures' stamp, one definition
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage", "--hide-scrollbars", "--mute-audio", "--disable-extensions",
    "--disable-default-apps", "--no-default-browser-check", "--password-store=basic",
    # No host but the local server resolves: a CDN reference cannot silently work.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    "--remote-debugging-pipe",
]
VIEWPORTS = ((1280, 900), (768, 1000))  # desktop (sidebars shown) and narrow (sidebars folded away)
PAGE_TIMEOUT = 90.0  # seconds to load one page and let it settle
IDLE = 0.75  # seconds without a request in flight that count as "network idle"
ERROR_MARKERS = (
    (re.compile(r'class="[^"]*\boutput\b[^"]*\b(traceback|error)\b'), "an error output cell"),
    (re.compile(r"Traceback \(most recent call last\)"), "a Python traceback"),
    (re.compile(r'class="[^"]*\bsystem-message\b'), "a docutils system message"),
)
# The hook for chapter code: a figure whose panel has nothing to show is marked, and the page fails.
EMPTY_PANEL_CLASS = "reasonlab-empty-panel"
EMPTY_PANEL_TEXT = "EMPTY PANEL"
MAX_LISTED = 8  # problems of one kind listed per page

# Runs in the page: text cut off on the right, code blocks that do not wrap, content wider than the page.
LAYOUT_JS = r"""
(() => {
  const vw = document.documentElement.clientWidth;
  const out = [];
  const style = el => getComputedStyle(el);
  const scrollsX = s => s.overflowX === 'auto' || s.overflowX === 'scroll';
  const clipsX = s => s.overflowX === 'hidden' || s.overflowX === 'clip';
  const name = el => {
    let n = el.tagName.toLowerCase();
    if (el.id) n += '#' + el.id;
    const cls = (typeof el.className === 'string' ? el.className : '').trim().split(/\s+/).filter(Boolean);
    if (cls.length) n += '.' + cls.slice(0, 3).join('.');
    const text = (el.innerText || el.textContent || '').replace(/\s+/g, ' ').trim();
    return n + (text ? ' "' + text.slice(0, 50) + '"' : '');
  };
  const visible = (el, s) => s.display !== 'none' && s.visibility !== 'hidden' && el.getClientRects().length > 0;
  // The page's own frames: what scrolls there is the page (or the article column), not a box of its own.
  const FRAMES = 'main, .bd-main, .bd-content, .bd-article-container, .bd-container, .bd-page-width';
  const isFrame = el => el === document.documentElement || el === document.body || el.matches(FRAMES);
  // Nearest ancestor that scrolls or clips sideways (memoised), or null.
  const boxes = new Map();
  const scrollBox = el => {
    const p = el.parentElement;
    if (!p) return null;
    if (boxes.has(p)) return boxes.get(p);
    const ps = style(p);
    const box = scrollsX(ps) || clipsX(ps) ? p : scrollBox(p);
    boxes.set(p, box);
    return box;
  };
  // Text for screen readers only (MathJax's assistive MathML, .sr-only): clipped on purpose, never seen.
  const HIDDEN = 'mjx-assistive-mml, .sr-only, .visually-hidden, .screen-reader-text';
  const hidden = el => !el || !!el.closest(HIDDEN) || style(el).visibility === 'hidden';
  // Right edge of the text inside el that runs furthest, or -Infinity when it has none.
  const textRight = el => {
    let right = -Infinity;
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    const range = document.createRange();
    for (let n = walker.nextNode(), i = 0; n && i < 5000; n = walker.nextNode(), i++) {
      if (!n.textContent.trim() || hidden(n.parentElement)) continue;
      range.selectNodeContents(n);
      for (const r of range.getClientRects()) if (r.width > 0) right = Math.max(right, r.right);
    }
    return right;
  };
  const reported = [];
  const report = (el, kind, detail) => {
    if (reported.some(r => r.contains(el))) return;
    reported.push(el);
    out.push({kind, what: name(el), detail});
  };
  const all = document.body.querySelectorAll('*');
  for (const el of all) {
    const s = style(el);
    if (!visible(el, s) || s.position === 'fixed') continue;
    const tag = el.tagName.toLowerCase();
    if (tag === 'script' || tag === 'style' || tag === 'svg' || el.closest('svg') || hidden(el)) continue;
    const over = el.scrollWidth - el.clientWidth;
    if (over > 1 && clipsX(s) && s.textOverflow !== 'ellipsis') {
      const box = el.getBoundingClientRect();
      const edge = box.left + el.clientLeft + el.clientWidth;
      const tr = textRight(el);
      if (tr > edge + 1) report(el, 'clipped', `text runs ${Math.round(tr - edge)} px past the right edge it hides`);
    }
    if (tag === 'pre' && over > 1 && !el.closest('.jupyter-widgets, .widget-output')) {
      report(el, 'pre', `code block does not wrap: ${el.scrollWidth} px of text in ${el.clientWidth} px`);
    }
  }
  // Content wider than the page: past the viewport, or past the article column, which then scrolls sideways
  // as a whole. Content inside a box of its own that scrolls (a table's container, a widget) is fine.
  for (const el of all) {
    const s = style(el);
    if (!visible(el, s) || s.position === 'fixed' || el.closest('svg') || hidden(el)) continue;
    const box = scrollBox(el);
    if (box && !isFrame(box)) continue;
    const r = el.getBoundingClientRect();
    if (r.width <= 0) continue;
    let bound = vw;
    if (box && box !== document.documentElement && box !== document.body) {
      const b = box.getBoundingClientRect();
      bound = Math.min(vw, b.left + box.clientLeft + box.clientWidth);
    }
    if (r.right > bound + 1)
      report(el, 'wide', `reaches ${Math.round(r.right)} px, page column ends at ${Math.round(bound)} px`);
  }
  const docOver = document.documentElement.scrollWidth - vw;
  if (docOver > 1 && !out.some(o => o.kind === 'wide'))
    out.push({kind: 'wide', what: 'page', detail: `page is ${vw + docOver} px wide, viewport ${vw} px`});
  return out;
})()
"""

# Resolves when MathJax (if the page loaded it) has typeset; never rejects.
MATHJAX_JS = """
(async () => {
  const mj = window.MathJax;
  if (!mj || !mj.startup || !mj.startup.promise) return 'none';
  try { await mj.startup.promise; return 'done'; } catch (e) { return 'error: ' + e; }
})()
"""

WIDGETS_JS = "document.querySelectorAll('.jupyter-widgets, .widget-subarea *').length"

# Elements with the marker class, and the marker text in prose or cell outputs (not in code, which may name it).
EMPTY_PANEL_JS = f"""
(() => {{
  const out = [];
  for (const el of document.querySelectorAll('.{EMPTY_PANEL_CLASS}'))
    out.push((el.getAttribute('title') || el.innerText || el.getAttribute('alt') || '').trim().slice(0, 120)
             || '(no label)');
  const marker = {json.dumps(EMPTY_PANEL_TEXT)};
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n && out.length < 20; n = walker.nextNode()) {{
    const t = n.textContent;
    const at = n.parentElement;
    if (!t.includes(marker) || at.closest('.cell_input, script, style, textarea')
        || (at.closest('div.highlight') && !at.closest('.cell_output'))) continue;  // source code, not output
    out.push(t.slice(t.indexOf(marker), t.indexOf(marker) + 120).split('\\n')[0].trim());
  }}
  return out;
}})()
"""


# What a reader cannot use, in the page's text: missing numbers, cut-off cells, prose turned into a quote, an empty
# heading. Code (cell inputs) is left out: it may print "nan" on purpose.
READER_JS = r"""
(() => {
  const out = [];
  const text = el => (el.innerText || el.textContent || '').replace(/\s+/g, ' ').trim();
  const inCode = el => !!el.closest('.cell_input, pre, code, script, style');
  const where = el => {
    const t = el.closest('table');
    const head = t ? Array.from(t.querySelectorAll('th')).slice(0, 3).map(text).filter(Boolean).join(' / ') : '';
    return head ? ` (table: ${head.slice(0, 60)})` : '';
  };
  for (const cell of document.querySelectorAll('td, th')) {
    if (inCode(cell)) continue;
    const t = text(cell);
    if (/^(nan|none|<na>|nat)$/i.test(t)) out.push({kind: 'missing', detail: `a cell reads "${t}"${where(cell)}`});
    else if (/(\.\.\.|\u2026)$/.test(t) && t.length > 3)
      out.push({kind: 'cut', detail: `a cell is cut off: "${t.slice(-60)}"${where(cell)}`});
  }
  for (const q of document.querySelectorAll('blockquote')) {
    const t = text(q);
    if (!inCode(q) && t.startsWith('='))
      out.push({kind: 'quote', detail: `a quote starts with "=": "${t.slice(0, 60)}"`});
  }
  // A section whose only element is its heading: the heading stands over nothing.
  for (const sec of document.querySelectorAll('section')) {
    const kids = Array.from(sec.children);
    const head = kids.find(k => /^H[1-6]$/.test(k.tagName));
    if (head && kids.every(k => k === head || k.tagName === 'SPAN' && !text(k)))
      out.push({kind: 'heading', detail: `"${text(head).replace(/#$/, '').trim()}" has nothing under it`});
  }
  return out;
})()
"""

# Every image of the page: its source, its natural width and the width the page draws it at. A picker's hidden
# option is drawn as wide as its shown one would be: the width of the picker, at most its natural width.
IMAGES_JS = r"""
Array.from(document.querySelectorAll('main img'), img => {
  const box = img.closest('[data-reasonlab-picker]') || img.parentElement;
  const w = img.getBoundingClientRect().width
            || Math.min(img.naturalWidth, box ? box.getBoundingClientRect().width : 0);
  return {src: img.getAttribute('src') || '', natural: img.naturalWidth, shown: w};
})
"""


def png_text(data: bytes) -> dict[str, str]:
    """The text chunks (tEXt) of a PNG, {key: value}; {} for anything else."""
    out, i = {}, 8
    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        return out
    while i + 8 <= len(data):
        length, kind = struct.unpack(">I", data[i:i + 4])[0], data[i + 4:i + 8]
        if kind == b"tEXt":
            key, _, value = data[i + 8:i + 8 + length].partition(b"\0")
            out[key.decode("latin-1")] = value.decode("latin-1")
        if kind == b"IEND":
            break
        i += 12 + length
    return out


def image_bytes(src: str, page_url: str, html_dir: Path) -> bytes | None:
    """The bytes of an image of the page: a data: URI decoded, or the local file it names (None if neither)."""
    import base64

    if src.startswith("data:"):
        head, _, body = src.partition(",")
        return base64.b64decode(body) if head.endswith(";base64") else None
    target = urlparse(urljoin(page_url, src))
    local = html_dir / unquote(target.path).lstrip("/")
    return local.read_bytes() if local.is_file() else None


def figure_problems(images: list[dict], page_url: str, html_dir: Path, width: int) -> list[str]:
    """For each figure of a chapter page (at one viewport width): text too small to read once scaled to its column,
    lines hidden under others, or no stamp to tell (reasonlab.plots.figure_stamp)."""
    problems = []
    for i, img in enumerate(images):
        data = image_bytes(img["src"], page_url, html_dir)
        if not data or not img["natural"]:
            continue  # not loaded: the image checks report it
        stamp = png_text(data)
        name = (img["src"] if not img["src"].startswith("data:") else f"inline image {i + 1}")[-60:]
        if STAMP_TEXT not in stamp:
            problems.append(f"{name}: no legibility stamp (made without reasonlab.plots.use_style or figure_png?)")
            continue
        px = float(stamp[STAMP_TEXT]) * min(1.0, img["shown"] / img["natural"])
        if px < MIN_TEXT_PX:
            problems.append(f"{name}: smallest text {px:.1f} px at {width} px wide (drawn {img['shown']:.0f} of "
                            f"{img['natural']} px), below {MIN_TEXT_PX:g} px")
        if stamp.get(STAMP_HIDDEN):
            problems.append(f"{name}: hidden line(s): {stamp[STAMP_HIDDEN][:200]}")
    return problems


# Static pickers (reasonlab.widgets.static_picker): their options, and for one of them where its label is.
PICKER_ATTR = "data-reasonlab-picker"
PICKERS_JS = f"""
(() => Array.from(document.querySelectorAll('[{PICKER_ATTR}]'), (el, j) => ({{
  id: el.id || ('picker ' + j), n: parseInt(el.getAttribute('{PICKER_ATTR}'), 10),
  options: Array.from(el.querySelectorAll('input[type=radio]'),
                      r => (r.labels && r.labels[0] ? r.labels[0].innerText : r.value).trim()),
  views: el.querySelectorAll('.rlp-view').length,
}})))()
"""
PICKER_TARGET_JS = r"""
((j, i) => {
  const radio = document.querySelectorAll('[%s]')[j].querySelectorAll('input[type=radio]')[i];
  const target = radio.labels && radio.labels[0] ? radio.labels[0] : radio;
  target.scrollIntoView({behavior: 'instant', block: 'center', inline: 'nearest'});  // the theme scrolls smoothly
  const r = target.getBoundingClientRect();
  const x = r.left + Math.min(r.width / 2, 20), y = r.top + r.height / 2;
  // What a click there would hit: the label (or its radio), or something on top of it (never clicked).
  const hit = document.elementFromPoint(x, y);
  const ok = !!hit && (hit === target || hit === radio || target.contains(hit));
  const cls = hit && typeof hit.className === 'string' && hit.className ? '.' + hit.className.split(/\s+/)[0] : '';
  const what = hit ? hit.tagName.toLowerCase() + (hit.id ? '#' + hit.id : '') + cls : 'nothing';
  return {x, y, w: r.width, h: r.height, ok, hit: what};
})(%d, %d)
"""
# What a picker shows now: the checked option, and each figure that is visible (with its image's state).
PICKER_STATE_JS = """
((j) => {
  const el = document.querySelectorAll('[%s]')[j];
  const radios = Array.from(el.querySelectorAll('input[type=radio]'));
  const views = Array.from(el.querySelectorAll('.rlp-view'));
  const shown = [];
  views.forEach((v, k) => {
    const s = getComputedStyle(v);
    if (s.display === 'none' || s.visibility === 'hidden' || !v.getClientRects().length) return;
    const img = v.querySelector('img');
    const r = img ? img.getBoundingClientRect() : {width: 0, height: 0};
    shown.push({index: k, decoded: !!img && img.complete && img.naturalWidth > 0,
                width: Math.round(r.width), height: Math.round(r.height),
                src: img ? img.src.length + ':' + img.src.slice(-48) : ''});
  });
  return {checked: radios.findIndex(r => r.checked), shown, page: location.href};
})(%d)
"""


def _steady_target(browser: "Browser", j: int, i: int, timeout: float = 10.0) -> dict | None:
    """Scroll option i of picker j into view and return where its label is, once two looks a moment apart
    agree (after a resize the theme re-lays the page out for a while; a click must not land elsewhere)."""
    return _steady(browser, PICKER_TARGET_JS % (PICKER_ATTR, j, i), timeout)


def _steady(browser: "Browser", target_js: str, timeout: float = 10.0) -> dict | None:
    """Evaluate `target_js` (it scrolls a target into view and returns {x, y, ok, ...}) until two looks a moment
    apart agree on where the target is; None if it keeps moving (never click a moving target)."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        at = browser.evaluate(target_js)
        if at and last and abs(at["x"] - last["x"]) < 0.5 and abs(at["y"] - last["y"]) < 0.5 and at["ok"] == last["ok"]:
            return at
        if time.monotonic() > deadline:
            return at if at and not at["ok"] else None  # never click a target that is still moving
        last = at
        time.sleep(0.25)


def check_pickers(browser: "Browser") -> tuple[int, int, list[str]]:
    """Pick every option of every static picker on the page by clicking its label; return (pickers, options
    checked, problems). An option passes when it becomes the checked one and shows exactly its own figure,
    decoded and visible, unlike any other option's."""
    problems = []
    pickers = browser.evaluate(PICKERS_JS) or []
    page = browser.evaluate("location.href")
    n_options = 0
    for j, p in enumerate(pickers):
        name = p["id"]
        if not (p["n"] == len(p["options"]) == p["views"]) or not p["options"]:
            problems.append(f"picker {name}: {p['n']} declared, {len(p['options'])} option(s), {p['views']} figure(s)")
            continue
        seen: dict[str, str] = {}
        for i, option in enumerate(p["options"]):
            n_options += 1
            at = _steady_target(browser, j, i)
            if not at or at["w"] <= 0 or at["h"] <= 0:
                problems.append(f"picker {name}: option {option!r} has no visible label that stays put to click")
                continue
            if not at["ok"]:
                problems.append(f"picker {name}: the label of {option!r} is covered by {at['hit']}")
                continue
            for kind in ("mousePressed", "mouseReleased"):
                browser.send("Input.dispatchMouseEvent",
                             {"type": kind, "x": at["x"], "y": at["y"], "button": "left", "clickCount": 1})
            state = browser.evaluate(PICKER_STATE_JS % (PICKER_ATTR, j))
            shown = state["shown"]
            if state["page"] != page:
                problems.append(f"picker {name}: clicking {option!r} left the page (now at {state['page']})")
                return len(pickers), n_options, problems
            if state["checked"] != i:
                problems.append(f"picker {name}: clicking {option!r} did not select it (selected: {state['checked']})")
            elif [v["index"] for v in shown] != [i]:
                problems.append(f"picker {name}: {option!r} selected, figure(s) shown: "
                                f"{[p['options'][v['index']] for v in shown] or 'none'}")
            elif not shown[0]["decoded"] or shown[0]["width"] <= 0 or shown[0]["height"] <= 0:
                problems.append(f"picker {name}: the figure of {option!r} did not render "
                                f"({shown[0]['width']}x{shown[0]['height']} px)")
            elif shown[0]["src"] in seen:
                problems.append(f"picker {name}: {option!r} shows the same image as {seen[shown[0]['src']]!r}")
            else:
                seen[shown[0]["src"]] = option
    return len(pickers), n_options, problems


# k controls (reasonlab.k_control): where to click on a slider, and what a control shows now.
K_CONTROLS_JS = f"""
(() => Array.from(document.querySelectorAll('[{K_CONTROL_ATTR}]'), (el, j) => {{
  const data = el.id ? document.getElementById(el.id + '-data') : null;
  return {{id: el.id || ('k control ' + j), max: parseInt(el.getAttribute('{K_CONTROL_ATTR}'), 10),
           data: data ? data.textContent : null}};
}}))()
"""
K_TARGET_JS = r"""
((j, f) => {
  const slider = document.querySelectorAll('[%s]')[j].querySelector('input[type=range]');
  if (!slider) return null;
  slider.scrollIntoView({behavior: 'instant', block: 'center', inline: 'nearest'});
  const r = slider.getBoundingClientRect();
  const x = r.left + 2 + f * Math.max(0, r.width - 4), y = r.top + r.height / 2;
  const hit = document.elementFromPoint(x, y);
  const what = hit ? hit.tagName.toLowerCase() + (hit.id ? '#' + hit.id : '') : 'nothing';
  return {x, y, w: r.width, h: r.height, ok: hit === slider, hit: what, disabled: slider.disabled};
})(%d, %s)
"""
K_STATE_JS = r"""
((j) => {
  const el = document.querySelectorAll('[%s]')[j];
  const slider = el.querySelector('input[type=range]'), out = el.querySelector('output');
  const visible = c => c.getClientRects().length > 0 && getComputedStyle(c).visibility !== 'hidden';
  const cells = Array.from(el.querySelectorAll('[data-k-cell]'),
                           c => ({at: c.getAttribute('data-k-cell'), text: c.textContent.trim(), visible: visible(c)}));
  return {k: parseInt(slider.value, 10), drawn: el.getAttribute('data-k'), output: out ? out.textContent.trim() : '',
          cells, page: location.href};
})(%d)
"""
K_ENDS = (0.0, 0.5, 1.0)  # where on the slider a reader clicks: its left end (k = 1), its middle, its right end


def k_cell_problems(name: str, data: dict, state: dict) -> list[str]:
    """What is wrong with what a k control shows (`state`, K_STATE_JS) at its slider's k: the k it says it drew, or a
    cell that does not read reasonlab.k_control.values of its embedded counts (`data`) at that k."""
    k, problems = state["k"], []
    if state["drawn"] != str(k) or not re.search(rf"\b{k}\b", state["output"]):
        return [f"k control {name}: the slider is at k = {k}, the control shows {state['output']!r} (drawn for "
                f"{state['drawn']})"]
    want = k_values(data, k)
    wrong = []
    for cell in state["cells"]:
        what, row, col = cell["at"].split()
        x = want["guess"][int(col)] if what == "guess" else want[what][int(row)][int(col)]
        if not cell["visible"]:
            wrong.append(f"{cell['at']} hidden")
        elif x is None:
            if cell["text"] != NO_VALUE:
                wrong.append(f"{cell['at']} reads {cell['text']!r}, not {NO_VALUE}")
        elif not re.fullmatch(r"-?\d+\.\d+", cell["text"]) or abs(float(cell["text"]) - x) > 0.5 * 10 ** -DIGITS + 1e-9:
            wrong.append(f"{cell['at']} reads {cell['text']!r}, pass@{k} is {x:.{DIGITS + 2}f}")
    if not state["cells"]:
        problems.append(f"k control {name}: no cell to redraw")
    if wrong:
        problems.append(f"k control {name} at k = {k}: {len(wrong)} cell(s) wrong: {_listed(wrong, 4)}")
    return problems


def check_k_controls(browser: "Browser") -> tuple[int, int, list[str]]:
    """Move the slider of every k control on the page by clicking it at each of K_ENDS; return (controls, ks
    checked, problems). Each click must land on the slider and move it (to k = 1 at the left end, to the largest k at
    the right), and the control must then show exactly the pass@k of its own counts at that k (k_cell_problems)."""
    problems, n_ks = [], 0
    controls = browser.evaluate(K_CONTROLS_JS) or []
    page = browser.evaluate("location.href")
    for j, c in enumerate(controls):
        name = c["id"]
        try:
            data = json.loads(c["data"] or "")
        except json.JSONDecodeError:
            problems.append(f"k control {name}: no readable counts (its -data script)")
            continue
        if data.get("k_max") != c["max"]:
            problems.append(f"k control {name}: declares k up to {c['max']}, its counts allow {data.get('k_max')}")
            continue
        last = None
        for f in K_ENDS:
            at = _steady(browser, K_TARGET_JS % (K_CONTROL_ATTR, j, f))
            if not at or at["w"] <= 0 or at["h"] <= 0:
                problems.append(f"k control {name}: no visible slider that stays put to click")
                break
            if at["disabled"]:
                problems.append(f"k control {name}: its slider is disabled (its script did not run)")
                break
            if not at["ok"]:
                problems.append(f"k control {name}: the slider is covered by {at['hit']}")
                break
            for kind in ("mousePressed", "mouseReleased"):
                browser.send("Input.dispatchMouseEvent",
                             {"type": kind, "x": at["x"], "y": at["y"], "button": "left", "clickCount": 1})
            state = browser.evaluate(K_STATE_JS % (K_CONTROL_ATTR, j))
            if state["page"] != page:
                problems.append(f"k control {name}: clicking the slider left the page (now at {state['page']})")
                return len(controls), n_ks, problems
            n_ks += 1
            end = {0.0: 1, 1.0: c["max"]}.get(f)
            if end is not None and state["k"] != end:
                problems.append(f"k control {name}: a click at the slider's {'left' if f == 0 else 'right'} end "
                                f"gave k = {state['k']}, not {end}")
            elif last is not None and state["k"] == last and c["max"] > 2:
                problems.append(f"k control {name}: a click at {f:.0%} of the slider left k at {last}")
            problems += k_cell_problems(name, data, state)
            last = state["k"]
    return len(controls), n_ks, problems


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


# ------------------------------------------------------------------------------ DevTools over a pipe
class Browser:
    """One headless Chromium driven over the DevTools protocol on fds 3/4 (--remote-debugging-pipe)."""

    def __init__(self, chromium: str, profile: str):
        cmd_r, self._cmd_w = os.pipe()
        self._resp_r, resp_w = os.pipe()
        # The protocol pipe must be fd 3 (commands in) and fd 4 (messages out). A small Python trampoline moves
        # them there (from numbers >= 10, so that moving one cannot overwrite the other) and execs Chromium.
        cmd_r, resp_w = (self._high_fd(fd) for fd in (cmd_r, resp_w))
        trampoline = ("import os, sys; a, b = int(sys.argv[1]), int(sys.argv[2]); os.dup2(a, 3); os.dup2(b, 4); "
                      "os.close(a); os.close(b); os.execv(sys.argv[3], sys.argv[3:])")
        self.proc = subprocess.Popen([sys.executable, "-c", trampoline, str(cmd_r), str(resp_w), chromium,
                                      *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "about:blank"],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     pass_fds=(cmd_r, resp_w))
        os.close(cmd_r)
        os.close(resp_w)
        self._stderr: list[bytes] = []
        threading.Thread(target=lambda: self._stderr.extend(self.proc.stderr), daemon=True).start()
        self._next_id = 0
        self._replies: dict[int, dict] = {}
        self.events: list[dict] = []
        self._cv = threading.Condition()
        self._closed = False
        threading.Thread(target=self._read, daemon=True).start()
        self.session = None

    @staticmethod
    def _high_fd(fd: int) -> int:
        import fcntl

        high = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
        os.close(fd)
        return high

    def _read(self):
        buf = b""
        while True:
            try:
                chunk = os.read(self._resp_r, 1 << 16)
            except OSError:
                chunk = b""
            if not chunk:
                with self._cv:
                    self._closed = True
                    self._cv.notify_all()
                return
            buf += chunk
            *messages, buf = buf.split(b"\0")
            with self._cv:
                for raw in messages:
                    msg = json.loads(raw)
                    if "id" in msg:
                        self._replies[msg["id"]] = msg
                    else:
                        self.events.append(msg)
                self._cv.notify_all()

    def send(self, method: str, params: dict | None = None, session: str | None = "page", timeout: float = 60.0):
        """Send one command and return its result (raise RuntimeError on a protocol error)."""
        with self._cv:
            self._next_id += 1
            mid = self._next_id
        msg = {"id": mid, "method": method, "params": params or {}}
        if session == "page":
            session = self.session
        if session:
            msg["sessionId"] = session
        os.write(self._cmd_w, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + timeout
        with self._cv:
            while mid not in self._replies:
                left = deadline - time.monotonic()
                if self._closed or left <= 0:
                    why = "chromium exited" if self._closed else f"no reply in {timeout:.0f} s"
                    raise RuntimeError(f"{method}: {why}; {self.stderr_tail()}")
                self._cv.wait(min(left, 1.0))
            reply = self._replies.pop(mid)
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error'].get('message')}")
        return reply.get("result", {})

    def evaluate(self, expression: str, timeout: float = 60.0):
        res = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True},
                        timeout=timeout)
        if "exceptionDetails" in res:
            d = res["exceptionDetails"]
            raise RuntimeError(f"script failed in the page: {d.get('text')} "
                               f"{((d.get('exception') or {}).get('description') or '').splitlines()[:1]}")
        return res.get("result", {}).get("value")

    def take_events(self) -> list[dict]:
        with self._cv:
            out, self.events = self.events, []
        return out

    def open_page(self, width: int, height: int):
        target = self.send("Target.createTarget", {"url": "about:blank"}, session=None)["targetId"]
        self.session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True},
                                 session=None)["sessionId"]
        for method, params in (("Page.enable", {}), ("Runtime.enable", {}), ("Log.enable", {}),
                               ("Network.enable", {}), ("Network.setCacheDisabled", {"cacheDisabled": True})):
            self.send(method, params)
        self.resize(width, height)

    def resize(self, width: int, height: int):
        self.send("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})

    def stderr_tail(self) -> str:
        return b"".join(self._stderr).decode(errors="replace").strip()[-600:]

    def close(self):
        try:
            self.send("Browser.close", session=None, timeout=10)
        except RuntimeError:
            pass
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for fd in (self._cmd_w, self._resp_r):
            try:
                os.close(fd)
            except OSError:
                pass


# ------------------------------------------------------------------------------------------- a page
class PageLog:
    """What the browser reported while one page loaded: console errors, failed and remote requests."""

    def __init__(self, origin: str):
        self.origin = origin
        self.inflight: dict[str, str] = {}
        self.last_activity = time.monotonic()
        self.loaded = False
        self.console: list[str] = []
        self.failed: dict[str, str] = {}
        self.remote: set[str] = set()

    def feed(self, events: list[dict], session: str):
        for ev in events:
            if ev.get("sessionId") != session:
                continue
            method, p = ev["method"], ev.get("params", {})
            if method.startswith("Network."):
                self.last_activity = time.monotonic()
            if method == "Page.loadEventFired":
                self.loaded = True
            elif method == "Network.requestWillBeSent":
                url = p["request"]["url"]
                self.inflight[p["requestId"]] = url
                parsed = urlparse(url)
                origin = f"{parsed.scheme}://{parsed.netloc}"
                if parsed.scheme in ("http", "https", "ws", "wss") and origin != self.origin:
                    self.remote.add(url)
            elif method == "Network.responseReceived":
                status = p["response"].get("status", 0)
                if status >= 400:
                    self.failed[p["response"]["url"]] = f"HTTP {status}"
            elif method == "Network.loadingFinished":
                self.inflight.pop(p["requestId"], None)
            elif method == "Network.loadingFailed":
                url = self.inflight.pop(p["requestId"], "?")
                if not p.get("canceled") and url not in self.remote:
                    self.failed.setdefault(url, p.get("blockedReason") or p.get("errorText", "failed"))
            elif method == "Runtime.exceptionThrown":
                d = p["exceptionDetails"]
                text = (d.get("exception") or {}).get("description") or d.get("text", "")
                self.console.append(f"uncaught {text.splitlines()[0] if text else ''} ({_where(d)})")
            elif method == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                args = " ".join(str(a.get("value", a.get("description", ""))) for a in p.get("args", []))
                self.console.append(f"console.{p['type']}: {args[:300]}")
            elif method == "Log.entryAdded":
                e = p["entry"]
                # Network errors come with their URL from the Network domain (self.failed).
                if e.get("level") == "error" and e.get("source") != "network":
                    self.console.append(f"{e.get('source')} error: {e.get('text', '')[:300]}"
                                        + (f" ({e['url']})" if e.get("url") else ""))

    def idle_for(self) -> float:
        return 0.0 if self.inflight else time.monotonic() - self.last_activity


def _where(details: dict) -> str:
    return f"{details.get('url') or 'inline script'}:{details.get('lineNumber', 0) + 1}"


def _settle(browser: Browser, log: PageLog, deadline: float, idle: float = IDLE):
    """Wait for the load event and then for `idle` seconds without a request in flight."""
    while time.monotonic() < deadline:
        log.feed(browser.take_events(), browser.session)
        if log.loaded and log.idle_for() >= idle:
            return
        time.sleep(0.1)
    raise TimeoutError(f"page did not settle in {PAGE_TIMEOUT:.0f} s (in flight: {list(log.inflight.values())[:3]})")


def _wait_for(browser: Browser, log: PageLog, count_js: str, deadline: float, stable: int = 3):
    """Poll a count in the page until it is positive and unchanged `stable` times in a row (or the deadline)."""
    last, same = None, 0
    while time.monotonic() < deadline and same < stable:
        n = browser.evaluate(count_js)
        same = same + 1 if n and n == last else 0
        last = n
        time.sleep(0.2)
    log.feed(browser.take_events(), browser.session)


def _listed(items, n=MAX_LISTED) -> str:
    items = list(items)
    return "; ".join(items[:n]) + (f"; ... {len(items) - n} more" if len(items) > n else "")


def check_page(browser: Browser, html_dir: Path, base: str, page: str, is_chapter: bool) -> tuple[bool, str]:
    rel = f"{page}.html"
    source = (html_dir / rel).read_text(errors="replace")
    url = f"{base}/{rel}"
    start = len(_Handler.log)
    browser.resize(*VIEWPORTS[0])
    browser.take_events()
    log = PageLog(base)
    deadline = time.monotonic() + PAGE_TIMEOUT
    browser.send("Page.navigate", {"url": url})
    _settle(browser, log, deadline)
    mathjax = browser.evaluate(MATHJAX_JS, timeout=max(1.0, deadline - time.monotonic()))
    _settle(browser, log, deadline)  # widgets render after the load event and may fetch more
    if "application/vnd.jupyter.widget-view+json" in source:  # rendering is JS work, not network: poll for it
        _wait_for(browser, log, WIDGETS_JS, deadline)
    dom = browser.evaluate("document.documentElement.outerHTML")
    layout, figures = [], []
    for i, (w, h) in enumerate(VIEWPORTS):
        if i:
            browser.resize(w, h)
            _settle(browser, log, deadline, idle=0.3)
        layout += [{**item, "width": w} for item in browser.evaluate(LAYOUT_JS)]
        if is_chapter:
            figures += figure_problems(browser.evaluate(IMAGES_JS), url, html_dir, w)
    reader = browser.evaluate(READER_JS)
    empty_panels = browser.evaluate(EMPTY_PANEL_JS)
    browser.resize(*VIEWPORTS[0])  # pick with a reader's mouse, at the desktop width
    n_pickers, n_options, picker_problems = check_pickers(browser)
    n_kcontrols, n_ks, k_problems = check_k_controls(browser)
    log.feed(browser.take_events(), browser.session)
    served = _Handler.log[start:]
    fetched = {p for p, code in served if code == 200}
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
    remote = sorted(set(tags.remote) | log.remote)
    if remote:
        problems.append(f"loads from other hosts ({len(remote)}): {_listed(remote, 3)}")

    n_math = len(re.findall(r'class="[^"]*\bmath\b', source))
    n_mjx = dom.count("<mjx-container")
    if n_math and not n_mjx:
        problems.append(f"{n_math} math element(s) not typeset (MathJax: {mathjax})")
    n_widget_views = source.count("application/vnd.jupyter.widget-view+json")
    n_widgets_rendered = len(re.findall(r'class="[^"]*\b(jupyter-widgets|widget-[a-z-]+)\b', dom))
    if n_widget_views and not n_widgets_rendered:
        problems.append(f"{n_widget_views} widget(s) not rendered (widget manager did not load?)")

    # Requests that failed: from the browser, and from the server's log (requests the page's domain missed).
    failed = dict(log.failed)
    for path, code in served:
        if code >= 400 and path != "/favicon.ico" and not any(urlparse(u).path == path for u in failed):
            failed[base + path] = f"HTTP {code} (server log)"
    failed = {u: why for u, why in failed.items() if u not in log.remote}  # remote ones are reported above
    if failed:
        problems.append(f"failed requests ({len(failed)}): "
                        + _listed(f"{why} {u.removeprefix(base)}" for u, why in sorted(failed.items())))
    console = list(dict.fromkeys(log.console))
    if console:
        problems.append(f"console errors ({len(console)}): {_listed(console)}")
    if layout:
        kinds = {"clipped": "text cut off", "pre": "code block cut off", "wide": "wider than the page"}
        problems.append(f"layout ({len(layout)}): " + _listed(
            f"{kinds[i['kind']]} at {i['width']} px: {i['what']} ({i['detail']})" for i in layout))
    if empty_panels:
        problems.append(f"empty plot panel(s) flagged by the chapter ({len(empty_panels)}): {_listed(empty_panels)}")
    if reader:
        problems.append(f"what a reader cannot use ({len(reader)}): {_listed(r['detail'] for r in reader)}")
    figures = list(dict.fromkeys(figures))
    if figures:
        problems.append(f"figures a reader cannot read ({len(figures)}): {_listed(figures)}")
    problems += picker_problems + k_problems

    summary = (f"{rel}: {good_imgs}/{checked} img loaded, math {n_mjx}/{n_math} typeset, "
               f"widgets {n_widget_views} view(s)/{n_widgets_rendered} rendered node(s), "
               f"{len(served)} request(s)"
               + (f", {n_pickers} picker(s): {n_options} option(s) picked" if n_pickers else "")
               + (f", {n_kcontrols} k control(s): {n_ks} k(s) checked" if n_kcontrols else ""))
    if problems:
        return False, f"FAIL {summary}\n" + "\n".join(f"       - {p}" for p in problems)
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
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        browser = Browser(chromium, profile)
        try:
            browser.open_page(*VIEWPORTS[0])
            for page in pages:
                try:
                    ok, line = check_page(browser, html_dir, base, page, page in chapters)
                except (RuntimeError, TimeoutError) as exc:
                    ok, line = False, f"FAIL {page}.html: {exc}"
                failed += not ok
                print(line, flush=True)
        except RuntimeError as exc:
            print(f"browser check: chromium failed: {exc}")
            return 1
        finally:
            browser.close()
            server.shutdown()
    print(f"browser check: {len(pages) - failed} page(s) ok, {failed} failed ({time.monotonic() - t0:.0f} s)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
