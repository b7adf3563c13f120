"""Figures drawn for the writers: each ``FigureSpec`` of a view (``asks/figure.py``: the
model as numbers and its labels) becomes a ``FigureView``, what the templates place: the
pgfplots pictures (``tikz.py``: every layer, the worksheet's, the slides' overlays), the SVG
files' names and alt texts, and ``files``, the SVGs themselves (``svg.py``) that the render
writes beside the documents.

Loaded only when a view has a figure (``math/lazy.py``): the figure writers read the model,
which needs numpy. ``draw_all`` replaces the specs in a view in place, once; the templates
(``templates.render``) and the render (``build/render.py``) call it.

To add a layer: compute it in ``math/figure.build`` and draw it in both writers.
"""

from __future__ import annotations

from dataclasses import field
from typing import Any

from markupsafe import Markup

from solgen.math.record import record
from solgen.present.view import FigureSpec
from solgen.formats.svg import svg
from solgen.formats.tikz import picture


@record
class FigureView:
    """What the templates place: the pgfplots pictures (LaTeX), the SVG files' names and
    alt texts (Markdown, HTML), and ``files``, the SVGs themselves for the pipeline."""

    tikz: Any  # Markup: every layer
    tikz_blank: Any  # the worksheet's: no answer layers
    tikz_slides: Any  # Beamer overlays, one layer per click
    svg: str
    svg_blank: str
    alt: str
    alt_blank: str
    files: dict[str, str] = field(default_factory=dict, compare=False)


def draw(spec: FigureSpec | FigureView) -> FigureView:
    """The figure drawn (one drawn already: as it is)."""
    if isinstance(spec, FigureView):
        return spec
    fig, labels, plain = spec.model, spec.labels, spec.plain
    return FigureView(
        tikz=Markup(picture(fig, labels, "full")),
        tikz_blank=Markup(picture(fig, labels, "blank")),
        tikz_slides=Markup(picture(fig, labels, "slides")),
        svg=spec.svg, svg_blank=spec.svg_blank, alt=spec.alt, alt_blank=spec.alt_blank,
        files={spec.svg: svg(fig, plain, spec.alt, True, spec.desc),
               spec.svg_blank: svg(fig, plain, spec.alt_blank, False, spec.desc_blank)},
    )


def draw_all(view: Any) -> None:
    """Every ``FigureSpec`` in ``view`` (dicts and lists, walked) replaced by its drawing."""
    drawn: dict[int, FigureView] = {}
    stack = [view]
    while stack:
        node = stack.pop()
        items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        for key, value in list(items):
            if isinstance(value, FigureSpec):
                if id(value) not in drawn:
                    drawn[id(value)] = draw(value)
                node[key] = drawn[id(value)]
            elif isinstance(value, (dict, list)):
                stack.append(value)
