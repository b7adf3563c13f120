"""The one markdown-it parser of prose (``input/markdown.py``'s ``parse``): CommonMark with
raw HTML off (``<script>`` is text), ``$...$`` and ``$$...$$`` math (mdit-py-plugins'
dollarmath), pipe tables, no images. Loaded on first use (``math/lazy.py``): importing
markdown-it costs a render a tenth of the bare imports, and a JSON render of a file whose
prose has no math never needs it.
"""

from __future__ import annotations

from functools import lru_cache

from markdown_it import MarkdownIt
from mdit_py_plugins.dollarmath import dollarmath_plugin


@lru_cache(maxsize=1)
def parser() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False}).use(dollarmath_plugin, double_inline=True).disable("image").enable("table")
