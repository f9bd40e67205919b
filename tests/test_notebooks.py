"""Execute every jupytext notebook in notebooks/ offline with nbclient (kernel python3)."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]-*.md"))

pytestmark = pytest.mark.slow


def test_all_notebooks_present() -> None:
    names = [p.stem for p in NOTEBOOKS]
    assert names == ["01-quickstart", "02-osm-networks", "03-new-alignments", "04-custom-scenarios"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs(path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    jupytext = pytest.importorskip("jupytext")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("CORRIDOR_NOTEBOOK_OUT", str(tmp_path))
    nb = jupytext.read(path)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    client = nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                                     resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code, f"{path.name} has no code cells"
    errors = [o for c in code for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors, errors
    # every notebook shows something: a table, a figure, a map or printed text
    kinds = {k for c in code for o in c.get("outputs", []) for k in o.get("data", {})} | {
        o.get("name") for c in code for o in c.get("outputs", []) if o.get("output_type") == "stream"}
    assert kinds & {"text/html", "image/png", "stdout"}, kinds
    if path.stem == "01-quickstart":  # the rich displays of Route, RouteMetrics, Profile, Network, comparison
        html = [o["data"]["text/html"] for c in code for o in c.get("outputs", []) if "text/html" in o.get("data", {})]
        reprs = [h for h in html if "corridor-repr" in h]
        assert len(reprs) >= 5 and sum("<svg" in h for h in reprs) >= 4, len(reprs)
        assert any("srcdoc=" in h and "leaflet" in h.lower() for h in html)  # explore(): offline map
    # modelled data is labelled as modelled
    assert "modelled" in path.read_text(encoding="utf-8").lower()
