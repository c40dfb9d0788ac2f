"""Sphinx configuration of fastdrop's API reference (``sphinx-build -W -b html docs docs/_build/html``).

The reference lists every name in ``fastdrop.__all__`` at build time: this
file writes ``api.rst`` (an autosummary table of them) before Sphinx reads
the sources, so a name added to ``__all__`` gets its page without an edit
here. The docstrings are numpydoc's format.
"""

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if not os.environ.get("FASTDROP_DOCS_INSTALLED"):  # the checkout's build, not an installed copy
    sys.path.insert(0, ROOT)

import fastdrop  # noqa: E402

project = "fastdrop"
author = "the fastdrop authors"
copyright = "fastdrop authors, MIT License"
release = version = fastdrop.__version__

extensions = ["sphinx.ext.autodoc", "sphinx.ext.autosummary", "numpydoc"]
autosummary_generate = True
autodoc_default_options = {"members": True, "undoc-members": False}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
default_role = "py:obj"
nitpicky = False
exclude_patterns = ["_build", "*.md", "*.txt"]
html_theme = "alabaster"
html_title = f"fastdrop {release}"


API_PAGE = """API reference
=============

Every public name of the ``fastdrop`` package (``fastdrop.__all__``), each on
a page of its own, from its docstring. ``fastdrop.__version__`` is the
version string (|release|). This page is written by ``docs/conf.py`` from
``fastdrop.__all__`` at each build.

.. automodule:: fastdrop
   :no-members:

.. currentmodule:: fastdrop

.. autosummary::
   :toctree: generated

"""


def _write_api_page():
    """api.rst: one autosummary row per public name; autosummary writes each name's page."""
    names = [n for n in fastdrop.__all__ if n != "__version__"]
    text = API_PAGE + "".join(f"   {n}\n" for n in names)
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "api.rst")
    if not os.path.exists(path) or open(path).read() != text:
        with open(path, "w") as f:
            f.write(text)


_write_api_page()
