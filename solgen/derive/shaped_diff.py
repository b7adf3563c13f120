"""The differential method, rule by rule: ``d(expr)`` as a tree of steps, each a named rule
with its middle form (``d‖r‖² = 2 rᵀ d(r)``) and its result (the middle with each ``d(...)``
worked out by a substep, then tidied), linear in ``dw``.

The gradient is read off ``dL = gᵀ dw``, the Hessian and a Jacobian off ``dg = H dw``.
Known ML derivatives are rules of their own, named, not expanded: σ' = σ(1 − σ), the
binary cross-entropy of σ(u) (``(y − p)ᵀ du``), softmax cross-entropy (``(y − s)ᵀ dz``
when y sums to 1), d softmax = (diag(s) − s sᵀ) dz, d logsumexp = softmax(z)ᵀ dz.

To add a rule: a branch in ``Differ._rule`` returning (name, middle, facts), where the
middle holds ``D(x)`` for each differential a substep works out; its sentence ``matrix.rule.<name>`` in every words catalog; the checker tests it.
"""

from __future__ import annotations

from dataclasses import field
from typing import Callable

import sympy as sp

from solgen.math.record import record
from solgen.math import shaped_build as b
from solgen.math.shaped import ELEMENTWISE, ONE, Add, Call, D, Had, Ident, Index, Mul, Node, Num, Ones, Pow, Ref, Sum, Sym, T, children
from solgen.math.shaped_build import _powers


class Unsupported(ValueError):
    """An expression the matrix engine has no rule for (said plainly, never guessed)."""


@record
class MStep:
    """One step: ``d(expr) = middle = result``; ``substeps`` work out each d(...) in middle."""

    rule: str
    expr: Node
    var: Sym
    middle: Node | None
    result: Node
    substeps: tuple["MStep", ...] = ()
    facts: tuple[str, ...] = field(default=())  # assumptions the rule used (y sums to 1)

    def name(self) -> str:
        return self.rule

    def contains_fallback(self) -> bool:
        return False

    def walk(self):  # type: ignore[no-untyped-def]
        yield self
        for s in self.substeps:
            yield from s.walk()


def has(node: Node, name: str) -> bool:
    if isinstance(node, Sym):
        return node.name == name
    if isinstance(node, Ref):
        return has(node.body, name)
    return any(has(c, name) for c in children(node))


def rebuild(node: Node, fn: Callable[[Node], Node | None]) -> Node:
    """``node`` with ``fn`` applied top-down (``fn`` returns a replacement or None)."""
    new = fn(node)
    if new is not None:
        return new
    if isinstance(node, Add):
        return b.add(*(rebuild(t, fn) for t in node.terms))
    if isinstance(node, Mul):
        return b.mul(*(rebuild(f, fn) for f in node.factors))
    if isinstance(node, T):
        return b.transpose(rebuild(node.arg, fn))
    if isinstance(node, Pow):
        return b.power(rebuild(node.base, fn), node.exp)
    if isinstance(node, Call):
        return b.call(node.fn, rebuild(node.arg, fn))
    if isinstance(node, Had):
        return b.hadamard(rebuild(node.a, fn), rebuild(node.b, fn))
    if isinstance(node, Sum):
        return b.summation(node.index, node.lo, node.hi, rebuild(node.body, fn))
    return node


def _is_sigmoid(node: Node) -> Node | None:
    """u when node is σ(u) or a function whose body is σ(u)."""
    body = node.body if isinstance(node, Ref) else node
    return body.arg if isinstance(body, Call) and body.fn == "sigmoid" else None


def _is_softmax(node: Node) -> Node | None:
    body = node.body if isinstance(node, Ref) else node
    return body.arg if isinstance(body, Call) and body.fn == "softmax" else None


def _one_minus(node: Node) -> Node | None:
    """x when node is 1 - x (ones minus x)."""
    if isinstance(node, Add) and len(node.terms) == 2 and isinstance(node.terms[0], Ones):
        t = node.terms[1]
        if isinstance(t, Mul) and len(t.factors) == 2 and isinstance(t.factors[0], Num) and t.factors[0].value == -1:
            return t.factors[1]
    return None


class Differ:
    def __init__(self, var: Sym, symmetric: frozenset[str], sums_to_one: frozenset[str]):
        self.var = var
        self.dvar = Sym("d" + var.name, var.shape, "dvar")
        self.symmetric = symmetric
        self.sums_to_one = sums_to_one
        self._cache: dict[Node, MStep] = {}
        self._alias: dict[Node, Ref] = {}
        self.decimals = False  # the file writes decimals: collected coefficients are printed as decimals  # sigma(X w) -> p, so sigma' is written p (1 - p)

    def T(self, node: Node) -> Node:
        return b.transpose(node, self.symmetric)

    def d(self, node: Node) -> MStep:
        if node not in self._cache:
            self._cache[node] = self._step(node)
        return self._cache[node]

    def constant(self, node: Node) -> bool:
        return not has(node, self.var.name)

    def _step(self, node: Node) -> MStep:
        if self.constant(node):
            return MStep("constant", node, self.var, None, b.zeros(node.shape))
        if isinstance(node, Sym):
            return MStep("variable", node, self.var, None, self.dvar)
        rule, middle, facts = self._rule(node)
        subs = [self.d(x.arg) for x in _placeholders(middle)]
        done = {x.arg: s.result for x, s in zip(_placeholders(middle), subs)}
        result = rebuild(middle, lambda n: done[n.arg] if isinstance(n, D) else None)
        result = self.tidy(result)
        shown = tuple(s for s in subs if s.rule not in ("constant", "variable"))
        return MStep(rule, node, self.var, middle, result, shown, facts)

    def _rule(self, node: Node) -> tuple[str, Node, tuple[str, ...]]:  # noqa: C901 - one branch per rule
        tr, dd = self.T, (lambda x: D(x, x.shape))
        if isinstance(node, Ref):  # d p for p = sigma(X w): the body's rule, written with p
            self._alias[node.body] = node
            return self._rule(node.body)
        if isinstance(node, Add):
            named = self._logistic(node)
            if named:
                return named
            return "sum", b.add(*(dd(t) for t in node.terms if not self.constant(t))), ()
        if isinstance(node, Mul):
            named = self._cross_entropy(node)
            if named:
                return named
            fs = node.factors
            varying = [i for i, f in enumerate(fs) if not self.constant(f)]
            terms = []
            for k in varying:
                rest = b.mul(*fs[k + 1:]) if k + 1 < len(fs) else None
                if isinstance(fs[k], Call) and fs[k].fn == "diag" and rest is not None and rest.is_vector:
                    # d(diag(u)) v = diag(v) du: the entrywise product, turned round
                    terms.append(b.mul(*fs[:k], b.diag(rest), dd(fs[k].arg)))
                else:
                    terms.append(b.mul(*(dd(f) if i == k else f for i, f in enumerate(fs))))
            return ("linear" if len(varying) == 1 else "product"), b.add(*terms), ()
        if isinstance(node, T):
            return "transpose", tr(dd(node.arg)), ()
        if isinstance(node, Pow):
            base = node.base
            if isinstance(base, Call) and base.fn == "norm" and node.exp == 2:
                r = base.arg
                return "norm_squared", b.mul(b.num(2), tr(r), dd(r)), ()
            return "power", b.mul(Num(node.exp), b.power(base, node.exp - 1), dd(base)), ()
        if isinstance(node, Had):
            return "hadamard", b.add(b.mul(b.diag(node.b), dd(node.a)), b.mul(b.diag(node.a), dd(node.b))), ()
        if isinstance(node, Call):
            return self._call(node, dd)
        if isinstance(node, Sum):  # d sum_i f_i = sum_i d f_i
            return "sum_over", Sum(node.index, node.lo, node.hi, dd(node.body), node.shape), ()
        if isinstance(node, Index):
            raise Unsupported(f"{node} is one entry of the variable {self.var.name}; matrix form has no rule for it: "
                              f"write it as a product such as e^T {self.var.name} with a vector e declared in 'shapes'")
        raise Unsupported(f"no rule for the differential of {node}")

    def _call(self, node: Call, dd: Callable[[Node], Node]) -> tuple[str, Node, tuple[str, ...]]:
        u, fn, tr = node.arg, node.fn, self.T
        own: Node = self._alias.get(node, node)
        if fn == "norm":
            return "norm", b.mul(b.power(node, sp.Integer(-1)), tr(u), dd(u)), ()
        if fn == "logsumexp":
            return "logsumexp", b.mul(tr(b.call("softmax", u)), dd(u)), ()
        if fn == "softmax":
            s = own
            return "softmax", b.mul(b.sub(b.diag(s), b.mul(s, tr(s))), dd(u)), ()
        if fn in ELEMENTWISE:
            deriv = self._entrywise_derivative(fn, u, own)
            if u.is_scalar:
                return fn, b.mul(deriv, dd(u)), ()
            if not u.is_vector:
                raise Unsupported(f"{fn} of the matrix {u} is entrywise; its differential is a Hadamard product, "
                                  "which solgen does not read off yet: write it on a vector, such as " + fn + "(W x)")
            return fn, b.mul(deriv, dd(u)), ()
        if fn == "trace":  # d tr(X) = tr(dX)
            return "trace", b.call("trace", dd(u)), ()
        if fn == "det":  # d det(X) = det(X) tr(X^{-1} dX)
            return "det", b.mul(own, b.call("trace", b.mul(b.call("inv", u), dd(u)))), ()
        if fn == "inv":  # d X^{-1} = -X^{-1} dX X^{-1}
            return "inv", b.neg(b.mul(own, dd(u), own)), ()
        if fn == "diag":  # d diag(u) = diag(du)
            return "diag", b.call("diag", dd(u)), ()
        raise Unsupported(f"no rule for the differential of {fn}(...) of the variable")

    def _entrywise_derivative(self, fn: str, u: Node, own: Node) -> Node:
        """f'(u) for a scalar u; for a vector u the matrix diag(f'(u)) with du = diag(f'(u)) du."""
        one = b.num(1)
        if u.is_scalar:
            return {
                "exp": lambda: own,
                "log": lambda: b.power(u, sp.Integer(-1)),
                "sigmoid": lambda: b.mul(own, b.sub(one, own)),
                "tanh": lambda: b.sub(one, b.power(own, sp.Integer(2))),
                "sin": lambda: b.call("cos", u),
                "cos": lambda: b.neg(b.call("sin", u)),
                "sqrt": lambda: b.mul(b.num(sp.Rational(1, 2)), b.power(own, sp.Integer(-1))),
                "abs": lambda: b.call("sign", u),
                "softplus": lambda: b.call("sigmoid", u),
                "sign": lambda: b.ZERO,
            }[fn]()
        return {
            "exp": lambda: b.diag(own),
            "log": lambda: b.call("inv", b.diag(u)),
            "sigmoid": lambda: b.diag(b.hadamard(own, b.sub(one, own))),
            "tanh": lambda: b.diag(b.sub(one, b.hadamard(own, own))),
            "sin": lambda: b.diag(b.call("cos", u)),
            "cos": lambda: b.neg(b.diag(b.call("sin", u))),
            "sqrt": lambda: b.mul(b.num(sp.Rational(1, 2)), b.call("inv", b.diag(own))),
            "abs": lambda: b.diag(b.call("sign", u)),
            "softplus": lambda: b.diag(b.call("sigmoid", u)),
            "sign": lambda: b.mul(b.ZERO, Ident((u.shape[0], u.shape[0]))),
        }[fn]()

    # -- named ML rules
    def _logistic(self, node: Add) -> tuple[str, Node, tuple[str, ...]] | None:
        """y^T log(p) + (1 - y)^T log(1 - p) with p = σ(u): d = (y - p)^T du."""
        if len(node.terms) != 2:
            return None
        first, second = node.terms
        pair1, pair2 = _dot_log(first), _dot_log(second)
        if not pair1 or not pair2:
            return None
        y, p = pair1
        y2, q = pair2
        u = _is_sigmoid(p)
        if u is None or _one_minus(y2) != y or _one_minus(q) != p or not self.constant(y):
            return None
        return "logistic", b.mul(self.T(b.sub(y, p)), D(u, u.shape)), ()

    def _cross_entropy(self, node: Mul) -> tuple[str, Node, tuple[str, ...]] | None:
        """c y^T log(s) with s = softmax(z) and 1^T y = 1: d = c (y - s)^T dz."""
        coeff, rest = [], []
        for f in node.factors:
            (coeff if f.is_scalar and self.constant(f) else rest).append(f)
        if len(rest) != 2:
            return None
        pair = _dot_log(b.mul(*rest))
        if not pair:
            return None
        y, s = pair
        z = _is_softmax(s)
        if z is None or not isinstance(y, Sym) or y.name not in self.sums_to_one or not self.constant(y):
            return None
        return "cross_entropy", b.mul(*coeff, self.T(b.sub(y, s)), D(z, z.shape)), (y.name,)

    # -- tidy: products of sums distributed where d appears, like terms combined
    def tidy(self, node: Node) -> Node:
        terms = self.monomials(node)
        if terms is None:
            return node
        return self.collect(terms, node.shape)

    def monomials(self, node: Node) -> list[tuple[sp.Rational, tuple[Node, ...], tuple[Node, ...]]] | None:
        """node as sum of c * scalars * chain, each linear in dw with dw last (for a scalar,
        moved there by transposing: a scalar is its own transpose); None if it cannot."""
        out = []
        for term in _expand(node):
            if isinstance(term, Sum) and _has_d(term):
                opened = self._open_sum(term)
                if opened is None:
                    return None
                out.append((sp.Integer(1), (), (opened, self.dvar)))
                continue
            if isinstance(term, Mul) and isinstance(term.factors[-1], Sum) and not term.factors[-1].is_scalar \
                    and _has_d(term.factors[-1]):
                opened = self._open_sum(term.factors[-1])
                if opened is None:
                    return None
                term = b.mul(*term.factors[:-1], opened, self.dvar)
            coeff, scalars, chain = _split(term)
            inner = [s for s in scalars if _has_d(s)]
            if len(inner) > 1 or (inner and chain and not (b.mul(*chain).shape[1] == ONE)):  # (a^T dw) v^T: no dw last
                return None
            if inner:  # (a^T dw) v = v a^T dw: a scalar differential times a vector
                sub = self.monomials(inner[0])
                if sub is None or len(sub) != 1:
                    return None
                c2, s2, ch2 = sub[0]
                scalars = tuple(s for s in scalars if s is not inner[0]) + s2
                coeff, chain = coeff * c2, tuple(chain) + ch2
                scalars = tuple(_powers_of(scalars))
                out.append((coeff, scalars, chain))
                continue
            if chain and isinstance(chain[-1], Sym) and chain[-1].kind == "dvar":
                out.append((coeff, scalars, chain))
                continue
            if term.is_scalar and chain and isinstance(chain[0], T) and chain[0].arg == self.dvar:
                flipped = tuple(self.T(f) for f in reversed(chain[1:]))
                out.append((coeff, scalars, flipped + (self.dvar,)))
                continue
            return None
        return out

    def _open_sum(self, term: Sum) -> Node | None:
        """C with sum_i (c_i dw) = C dw, C = sum_i c_i."""
        inner = self.monomials(term.body)
        if inner is None:
            return None
        body = b.add(*(b.mul(Num(c), *s, *ch[:-1]) for c, s, ch in inner))
        return b.summation(term.index, term.lo, term.hi, body)

    def collect(self, terms: list, shape: tuple) -> Node:
        merged: dict[tuple, sp.Rational] = {}
        for coeff, scalars, chain in terms:
            key = (scalars, chain)
            merged[key] = merged.get(key, sp.Integer(0)) + coeff
        parts = [b.mul(self.num(c), *s, *ch) for (s, ch), c in merged.items() if c != 0]
        if not parts:
            return b.ZERO if shape == (ONE, ONE) else b.mul(b.ZERO, self.dvar)
        return b.add(*parts)

    def num(self, c: sp.Rational) -> Num:
        return Num(c, (ONE, ONE), self.decimals and not c.is_Integer)

    # -- reading off
    def coefficient(self, differential: Node, transpose: bool) -> Node:
        """g from dL = g^T dw (transpose) or H from dg = H dw, in a TA's form."""
        zero = b.zeros(self.var.shape if transpose else (differential.shape[0], self.var.shape[0]))
        if b.is_zero(differential):
            return zero
        terms = self.monomials(differential)
        if terms is None:
            raise Unsupported(f"cannot write {differential} as a multiple of d{self.var.name}")
        merged: dict[tuple, sp.Rational] = {}
        for coeff, scalars, chain in terms:
            rest = chain[:-1]
            if transpose:
                rest = tuple(self.T(f) for f in reversed(rest))
            if not rest and not transpose:
                rest = (Ident((self.var.shape[0], self.var.shape[0])),)
            key = (scalars, rest)
            merged[key] = merged.get(key, sp.Integer(0)) + coeff
        items = [(c, s, r) for (s, r), c in merged.items() if c != 0]
        items = [_flip(c, s, r) for c, s, r in items]
        parts = [b.mul(self.num(c), *s, *r) for c, s, r in items]
        if not parts:
            return zero
        return _factor_right(parts) if len(parts) > 1 else parts[0]


class MatrixReadOff:
    """∇_W L from dL = Σ c tr(L_k dW R_k) = tr(Gᵀ dW), G = Σ c L_kᵀ R_kᵀ, for a matrix
    variable W (a scalar L; a 1×1 product is its own trace)."""

    def __init__(self, differ: "Differ"):
        self.differ = differ
        self.dvar = differ.dvar

    def gradient(self, differential: Node) -> Node:
        if b.is_zero(differential):
            return b.zeros(self.differ.var.shape)
        terms = self.terms(differential)
        if terms is None:
            raise Unsupported(f"cannot write {differential} as tr(G^T d{self.differ.var.name})")
        merged: dict[tuple, sp.Rational] = {}
        for coeff, scalars, g in terms:
            key = (scalars, g)
            merged[key] = merged.get(key, sp.Integer(0)) + coeff
        items = [_flip(c, s, tuple(g.factors) if isinstance(g, Mul) else (g,)) for (s, g), c in merged.items() if c != 0]
        parts = [b.mul(self.differ.num(c), *s, *r) for c, s, r in items]
        if not parts:
            return b.zeros(self.differ.var.shape)
        return _factor_right(parts) if len(parts) > 1 else parts[0]

    def terms(self, node: Node) -> list[tuple[sp.Rational, tuple[Node, ...], Node]] | None:
        out = []
        for term in _expand(node):
            got = self.term(term)
            if got is None:
                return None
            out.extend(got)
        return out

    def term(self, term: Node) -> list[tuple[sp.Rational, tuple[Node, ...], Node]] | None:
        if not _has_d(term):
            return []
        if isinstance(term, Sum):  # tr(G_i^T dW) summed: G = sum_i G_i
            inner = self.terms(term.body)
            if inner is None:
                return None
            body = b.add(*(b.mul(Num(c), *s, g) for c, s, g in inner))
            return [(sp.Integer(1), (), b.summation(term.index, term.lo, term.hi, body))]
        if isinstance(term, Call) and term.fn == "trace":
            out = []
            for t in _expand(term.arg):
                got = self.chain_term(t)
                if got is None:
                    return None
                out.append(got)
            return out
        if not term.is_scalar:
            return None
        coeff, scalars, chain = _split(term)
        inner = [s for s in scalars if _has_d(s)]
        if inner:
            if len(inner) > 1 or any(_has_d(f) for f in chain):
                return None
            rest = tuple(s for s in scalars if s is not inner[0]) + ((b.mul(*chain),) if chain else ())
            got = self.term(inner[0])
            if got is None:
                return None
            return [(coeff * c, tuple(_powers_of(rest + s)), g) for c, s, g in got]
        got = self.chain_term(term)
        return None if got is None else [got]

    def chain_term(self, term: Node) -> tuple[sp.Rational, tuple[Node, ...], Node] | None:
        """c s tr(L dW R) -> (c, s, L^T R^T); c s tr(L dW^T R) -> (c, s, R L)."""
        coeff, scalars, chain = _split(term)
        if any(_has_d(x) for x in scalars):
            return None
        at = [k for k, f in enumerate(chain) if _has_d(f)]
        if len(at) != 1:
            return None
        k = at[0]
        left, right, mid = chain[:k], chain[k + 1:], chain[k]
        tr = self.differ.T
        if mid == self.dvar:
            g = [tr(f) for f in reversed(left)] + [tr(f) for f in reversed(right)]
        elif isinstance(mid, T) and mid.arg == self.dvar:
            g = list(right) + list(left)
        else:
            return None
        return coeff, scalars, b.mul(*g) if g else Ident(self.dvar.shape)


def _powers_of(scalars: tuple[Node, ...]) -> list[Node]:
    return _powers(list(scalars))


def _dot_log(node: Node) -> tuple[Node, Node] | None:
    """(y, p) when node is y^T log(p)."""
    if isinstance(node, Mul) and len(node.factors) == 2:
        a, c = node.factors
        if isinstance(a, T) and isinstance(c, Call) and c.fn == "log":
            return a.arg, c.arg
    return None


def _placeholders(node: Node) -> list[D]:
    out: list[D] = []

    def walk(n: Node) -> None:
        if isinstance(n, D):
            if n not in out:
                out.append(n)
            return
        for c in children(n):
            walk(c)

    walk(node)
    return out


def _expand(node: Node) -> list[Node]:
    """Sums distributed over products and transposes pushed into products, only as far as
    needed to bring each d out (a sum without d stays a factor: 2 X^T (X w - y))."""
    if isinstance(node, Add):
        return [t for term in node.terms for t in _expand(term)]
    if isinstance(node, T):
        inner = node.arg
        if isinstance(inner, Add) and _has_d(inner):
            return [t for term in inner.terms for t in _expand(b.transpose(term))]
        if isinstance(inner, Mul) and _has_d(inner):
            coeff, scalars, chain = _split(inner)
            flipped = [b.transpose(f) for f in reversed(chain)]
            return _expand(b.mul(Num(coeff), *scalars, *flipped))
        return [node]
    if isinstance(node, Mul):
        out: list[list[Node]] = [[]]
        for f in node.factors:
            options = _expand(f) if _has_d(f) else [f]
            out = [prefix + [o] for prefix in out for o in options]
        return [b.mul(*fs) for fs in out]
    return [node]


def _has_d(node: Node) -> bool:
    if isinstance(node, Sym):
        return node.kind == "dvar"
    return any(_has_d(c) for c in children(node))


def _split(term: Node) -> tuple[sp.Rational, tuple[Node, ...], tuple[Node, ...]]:
    if isinstance(term, Num):
        return term.value, (), ()
    if not isinstance(term, Mul):
        return (sp.Integer(1), (term,), ()) if term.is_scalar and not _has_d(term) else (sp.Integer(1), (), (term,))
    coeff, scalars, chain, dscalars = sp.Integer(1), [], [], []
    for f in term.factors:
        if isinstance(f, Num):
            coeff *= f.value
        elif f.is_scalar and isinstance(f, Mul) and _has_d(f):
            dscalars.append(f)
        elif f.is_scalar:
            scalars.append(f)
        else:
            chain.append(f)
    if not chain and len(dscalars) == 1:  # a scalar product such as w^T dw
        c2, s2, ch2 = _split(dscalars[0])
        return coeff * c2, tuple(scalars) + s2, ch2
    return coeff, tuple(scalars) + tuple(dscalars), tuple(chain)


def _flip(c: sp.Rational, s: tuple, r: tuple) -> tuple:
    """-A (a - b) is written A (b - a): a TA's X^T (p - y), not -X^T (y - p)."""
    if c < 0:
        for i, f in enumerate(r):
            if isinstance(f, Add) and len(f.terms) == 2:
                second = f.terms[1]
                if isinstance(second, Mul) and isinstance(second.factors[0], Num) and second.factors[0].value < 0:
                    flipped = b.add(b.neg(second), b.neg(f.terms[0]))
                    return -c, s, r[:i] + (flipped,) + r[i + 1:]
    return c, s, r


def _factor_right(parts: list[Node]) -> Node:
    """A w + A^T w + b -> (A + A^T) w + b: terms sharing their last factor, grouped."""
    groups: list[tuple[Node | None, list[Node]]] = []
    for p in parts:
        last = p.factors[-1] if isinstance(p, Mul) and not p.factors[-1].is_scalar else None
        head = b.mul(*p.factors[:-1]) if last is not None else None
        if last is not None and head is not None and not head.is_scalar:
            for g in groups:
                if g[0] == last:
                    g[1].append(head)
                    break
            else:
                groups.append((last, [head]))
        else:
            groups.append((None, [p]))
    out = []
    for last, heads in groups:
        if last is None:
            out.extend(heads)
        elif len(heads) == 1:
            out.append(b.mul(heads[0], last))
        else:
            out.append(b.mul(b.add(*heads), last))
    return b.add(*out)
