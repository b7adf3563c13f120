"""Vectors and matrices (``shapes:`` in a problem file): the shaped grammar and its typed
trees (``parse``, ``ast``, ``build``), the differential method with named rules and the
read-off for vector and matrix variables (``diff``), values on concrete sizes (``numeric``)
and exactly at a point (``exact``), the checks on random sizes (``check``), identities as
chains of named rewrites (``identity``), the file's ``shapes``/``assume`` (``problem``), the
gradient, Hessian and Jacobian asks for vector and matrix variables (``asks``), the Taylor
model (``taylor``) and the closed form of an affine gradient's zero (``solve``)."""
