"""Regenerate the README screenshots in docs/.

Runs ``corridor compare`` (offline, embedded data, an 80-column terminal) into a
temporary folder and captures with headless Chromium:

* ``docs/map.png`` — map.html at the zoom of the whole comparison (capitals and large towns named);
* ``docs/map-zoom.png`` — the same map zoomed on the Meghri gap (waypoints and crossings named);
* ``docs/report.png`` — report.html;
* ``docs/terminal-80.png`` — the top of the terminal output at 80 columns (rich's SVG export of the
  ANSI text);
* ``docs/notebook.png`` — a notebook cell: ``comparison(metrics)`` as Jupyter shows it.

Usage::

    python scripts/make_screenshots.py [--chromium /usr/bin/chromium]

The PNGs are quantised with Pillow to stay small (< 400 KB each).
"""

from __future__ import annotations

import argparse
import html
import io
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--hide-scrollbars", "--virtual-time-budget=8000"]
MAX_BYTES = 400_000
#: Lines of the terminal output shown (the table and the first notes).
TERMINAL_LINES = 44
#: Appended to a copy of map.html for the zoomed shot: a fixed view on the Meghri gap.
ZOOM_SCRIPT = ("<script>window.addEventListener('load', function () {"
               "var k = Object.keys(window).find(function (n) { return /^map_[0-9a-f]+$/.test(n); });"
               "window[k].setView([38.98, 46.05], 10, {animate: false}); });</script>")


def corridor_cmd() -> list[str]:
    exe = Path(sys.executable).with_name("corridor")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "corridor.cli"]


def screenshot(chromium: str, page: Path, png: Path, workdir: Path, size: tuple[int, int] = (1280, 800)) -> None:
    raw = workdir / (png.stem + "-raw.png")
    cmd = [chromium, *FLAGS, f"--window-size={size[0]},{size[1]}", f"--user-data-dir={workdir / 'profile'}",
           f"--screenshot={raw}", page.as_uri()]
    subprocess.run(cmd, check=True, capture_output=True, timeout=180)
    from PIL import Image

    with Image.open(raw) as im:
        small = im.convert("RGB").quantize(colors=128, method=Image.Quantize.MEDIANCUT)
        small.save(png, optimize=True)
    if png.stat().st_size > MAX_BYTES:
        with Image.open(raw) as im:
            w, h = im.size
            im.convert("RGB").resize((w * 3 // 4, h * 3 // 4)).quantize(colors=64).save(png, optimize=True)
    print(f"{png.relative_to(ROOT)}: {png.stat().st_size:,} bytes")


def terminal_svg(ansi: str, path: Path) -> None:
    """The terminal text (with its colours) as an SVG drawn by rich, 80 columns wide."""
    from rich.console import Console
    from rich.text import Text

    con = Console(record=True, width=80, file=io.StringIO(), force_terminal=True, color_system="truecolor")
    con.print(Text.from_ansi(ansi))
    con.save_svg(str(path), title="corridor compare (80 columns)")


def notebook_page(path: Path) -> None:
    """A page that looks like a Jupyter cell running ``comparison(metrics)``."""
    from corridor import scenarios
    from corridor.evaluation import comparison, evaluate
    from corridor.network import load_network

    net = load_network("reference")
    chosen = ["meghri-rail", "aras-iran", "kars-dilucu-sadarak", "gyumri-kars"]
    metrics = [evaluate(scenarios.get(s).route(network=net)) for s in chosen]
    shown = comparison(metrics)._repr_html_()
    code = html.escape("from corridor.evaluation import comparison\n\ncomparison(metrics)")
    path.write_text(
        "<!DOCTYPE html><html><head><meta charset='utf-8'><style>"
        "body{font:13px system-ui,sans-serif;margin:16px;background:#fff}"
        ".cell{display:grid;grid-template-columns:70px auto;gap:4px 8px}"
        ".prompt{color:#303f9f;font:12px monospace;text-align:right;padding-top:6px}"
        ".out .prompt{color:#d84315}"
        "pre{background:#f5f5f5;border:1px solid #e0e0e0;padding:6px 8px;margin:0;font:13px monospace}"
        "</style></head><body><div class='cell'><div class='prompt'>In&nbsp;[7]:</div>"
        f"<pre>{code}</pre><div class='prompt' style='color:#d84315'>Out[7]:</div><div>{shown}</div>"
        "</div></body></html>", encoding="utf-8")


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    args = ap.parse_args()
    DOCS.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="corridor-shots-") as tmp:
        work = Path(tmp)
        out = work / "out"
        env = dict(os.environ, COLUMNS="80", FORCE_COLOR="1", TERM="xterm-256color")
        proc = subprocess.run([*corridor_cmd(), "compare", "--out", str(out)], check=True, cwd=work, env=env,
                              capture_output=True, text=True)
        screenshot(args.chromium, out / "map.html", DOCS / "map.png", work)
        zoomed = out / "map-zoom.html"
        zoomed.write_text((out / "map.html").read_text(encoding="utf-8").replace("</body>", ZOOM_SCRIPT + "</body>"),
                          encoding="utf-8")
        screenshot(args.chromium, zoomed, DOCS / "map-zoom.png", work)
        screenshot(args.chromium, out / "report.html", DOCS / "report.png", work)
        svg = work / "terminal.svg"
        terminal_svg("\n".join(proc.stdout.splitlines()[:TERMINAL_LINES]), svg)
        page = work / "terminal.html"
        page.write_text(f"<!DOCTYPE html><html><body style='margin:0'><img src='{svg.name}' width='994'>"
                        "</body></html>", encoding="utf-8")
        screenshot(args.chromium, page, DOCS / "terminal-80.png", work, size=(994, 1180))
        nb = work / "notebook.html"
        notebook_page(nb)
        screenshot(args.chromium, nb, DOCS / "notebook.png", work, size=(1280, 560))
    return 0


if __name__ == "__main__":
    sys.exit(main())
