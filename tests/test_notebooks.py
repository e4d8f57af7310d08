"""Every notebook in notebooks/ runs top to bottom, offline, on the embedded defaults.

The kernel is this interpreter (`sys.executable -m ipykernel_launcher`), from a kernelspec written
to a temp folder: nothing has to be installed with `ipykernel install`, and a `python3` spec
elsewhere on the machine (another Python, another venv) cannot be picked up by mistake. The
kernel gets the same network guard as the Studio test (test_studio.GUARD), no model endpoint and
no tracing, and its Jupyter/IPython files go to temp folders.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import nbformat
import pytest
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from test_studio import GUARD

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
CELL_TIMEOUT_S = 120
NOTEBOOK_TIMEOUT_S = 180  # pytest-timeout, per notebook
KERNEL = "procall-test"


def _run(path: Path, tmp: Path, extra_env: dict[str, str] | None = None) -> nbformat.NotebookNode:
    kernels = tmp / "kernels"
    (kernels / KERNEL).mkdir(parents=True)
    (kernels / KERNEL / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "procall (test)", "language": "python",
    }))
    guard, refused = tmp / "guard", tmp / "refused.log"
    guard.mkdir()
    (guard / "sitecustomize.py").write_text(GUARD)
    refused.touch()

    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("OPENAI_", "LANGSMITH_", "LANGCHAIN_"))
           and not (k.startswith("PROCALL_") and k != "PROCALL_TAUBENCH_DIR")}
    env.update(LANGSMITH_TRACING="false", PROCALL_NET_GUARD_LOG=str(refused), IPYTHONDIR=str(tmp / "ipython"),
               JUPYTER_RUNTIME_DIR=str(tmp / "runtime"), MPLBACKEND="Agg",
               PYTHONPATH=os.pathsep.join([str(guard), *filter(None, [env.get("PYTHONPATH")])]),
               **(extra_env or {}))

    nb = nbformat.read(path, as_version=4)
    km = AsyncKernelManager(kernel_name=KERNEL, kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(kernels)]),
                            connection_file=str(tmp / "kernel.json"))
    client = NotebookClient(nb, km=km, timeout=CELL_TIMEOUT_S, startup_timeout=60,
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute(env=env)  # raises CellExecutionError on the first failing cell
    assert refused.read_text() == "", f"{path.name} tried to reach the network:\n{refused.read_text()}"
    return nb


def _text(nb: nbformat.NotebookNode) -> str:
    return "\n".join(out.get("text", "") for cell in nb.cells if cell.cell_type == "code" for out in cell.outputs)


def test_there_are_notebooks():
    assert {"01_quickstart.ipynb", "02_process_walkthrough.ipynb", "03_eval.ipynb"} <= {p.name for p in NOTEBOOKS}


@pytest.mark.slow
@pytest.mark.timeout(NOTEBOOK_TIMEOUT_S)
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path, tmp_path):
    nb = _run(path, tmp_path)
    errors = [out for cell in nb.cells if cell.cell_type == "code" for out in cell.outputs
              if out.output_type == "error"]
    assert not errors


@pytest.mark.slow
@pytest.mark.timeout(NOTEBOOK_TIMEOUT_S)
def test_eval_notebook_without_the_benchmark_data(tmp_path):
    """Without the tau-bench data the eval notebook says so and skips its eval cells."""
    (tmp_path / "empty").mkdir()
    nb = _run(REPO / "notebooks" / "03_eval.ipynb", tmp_path, {"PROCALL_TAUBENCH_DIR": str(tmp_path / "empty")})
    text = _text(nb)
    assert "was not found" in text and "skipped: no benchmark data" in text
