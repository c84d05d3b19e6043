"""Sphinx tweaks that keep the built book self-contained and free of script errors.

jupyter-book 1.x always loads sphinx-thebe, even with Thebe switched off. On
every page it then adds an inline script declaring ``THEBE_JS_URL`` (twice, so
the second copy throws "Identifier 'THEBE_JS_URL' has already been declared")
and a loader that would fetch Thebe from a public CDN. This book runs live code
on Binder or in Jupyter instead, so with ``launch_buttons.thebe: false`` both
scripts are removed from every page.

Extensions may also add stylesheets or scripts from other hosts (jupyterlite-sphinx, loaded
by ``_ext/lite_book.py``, adds a Google Fonts stylesheet to every page): every stylesheet
and script whose address names a host is removed, so a page loads only files of the build.
"""

from __future__ import annotations

from typing import Any


def _is_thebe(script: Any) -> bool:
    filename = str(getattr(script, "filename", script) or "")
    body = str(getattr(script, "attributes", {}).get("body", ""))
    return "thebe" in filename.lower() or "THEBE_JS_URL" in body


def _is_remote(asset: Any) -> bool:
    filename = str(getattr(asset, "filename", asset) or "")
    return filename.startswith(("http://", "https://", "//"))


def drop_remote_assets(app: Any, pagename: str, templatename: str, context: dict, doctree: Any):
    for key in ("css_files", "script_files"):
        if key in context:
            context[key] = [a for a in context[key] if not _is_remote(a)]


def drop_thebe_scripts(app: Any, pagename: str, templatename: str, context: dict, doctree: Any):
    if app.config.html_theme_options.get("launch_buttons", {}).get("thebe"):
        return  # Thebe wanted after all: leave it alone
    if "script_files" in context:
        context["script_files"] = [s for s in context["script_files"] if not _is_thebe(s)]


def setup(app: Any) -> dict[str, Any]:
    app.connect("html-page-context", drop_thebe_scripts, priority=900)
    app.connect("html-page-context", drop_remote_assets, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
