"""Regenerate the README screenshots docs/map.png and docs/report.png.

Runs ``corridor compare`` (offline, embedded data) into a temporary folder and
captures map.html and report.html with headless Chromium. Usage::

    python scripts/make_screenshots.py [--chromium /usr/bin/chromium]

The PNGs are quantised with Pillow to stay small (< 400 KB each).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--hide-scrollbars", "--virtual-time-budget=8000", "--window-size=1280,800"]
MAX_BYTES = 400_000


def corridor_cmd() -> list[str]:
    exe = Path(sys.executable).with_name("corridor")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "corridor.cli"]


def screenshot(chromium: str, html: Path, png: Path, workdir: Path) -> None:
    raw = workdir / (png.stem + "-raw.png")
    cmd = [chromium, *FLAGS, f"--user-data-dir={workdir / 'profile'}", f"--screenshot={raw}", html.as_uri()]
    subprocess.run(cmd, check=True, capture_output=True, timeout=120)
    from PIL import Image

    with Image.open(raw) as im:
        small = im.convert("RGB").quantize(colors=128, method=Image.Quantize.MEDIANCUT)
        small.save(png, optimize=True)
    if png.stat().st_size > MAX_BYTES:
        with Image.open(raw) as im:
            im.convert("RGB").resize((960, 600)).quantize(colors=64).save(png, optimize=True)
    print(f"{png.relative_to(ROOT)}: {png.stat().st_size:,} bytes")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    args = ap.parse_args()
    DOCS.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="corridor-shots-") as tmp:
        work = Path(tmp)
        out = work / "out"
        subprocess.run([*corridor_cmd(), "compare", "--out", str(out)], check=True, cwd=work,
                       stdout=subprocess.DEVNULL)
        screenshot(args.chromium, out / "map.html", DOCS / "map.png", work)
        screenshot(args.chromium, out / "report.html", DOCS / "report.png", work)
    return 0


if __name__ == "__main__":
    sys.exit(main())
