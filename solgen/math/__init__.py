"""The house algebra and notation: the LaTeX printer (``printer``), tidy forms a TA writes
(``tidy``), numeric evaluation at points (``numeric``)."""
