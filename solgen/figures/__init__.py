"""Figures: contour pictures of a function of two variables with its gradient, directions,
tangent, gradient field and Taylor approximations (``ask: figure``, asks/figure.py).

``model.py`` computes the picture as numbers in layers (numpy and contourpy, imported only
here, so a problem file without a figure never loads them); ``grid.py`` evaluates SymPy
expressions on numpy grids by walking them with a fixed table (nothing is executed);
``tikz.py`` and ``svg.py`` write the one model as pgfplots for LaTeX and as an SVG file for
Markdown and HTML. To add a layer: compute it in ``model.build`` as a ``Layer`` and draw it
in both writers (and name it in ``model.LAYERS`` and the words' ``figure.*`` sentences).
"""
