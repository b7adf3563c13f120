"""Vectors and matrices (``shapes:`` in a problem file): the shaped grammar and its typed
trees (``parse``, ``ast``, ``build``), the differential method with named rules (``diff``),
values on concrete sizes (``numeric``) and the checks on random sizes (``check``), identities
as chains of named rewrites (``identity``), the file's ``shapes``/``assume`` (``problem``) and
the gradient, Hessian and Jacobian asks for a vector variable (``asks``)."""
