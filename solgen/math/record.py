"""``@record``: solgen's frozen value classes, a ``@dataclass(frozen=True)`` that is cheap to
define.

``dataclass(frozen=True)`` writes six methods for every class (``__init__``, ``__repr__``,
``__eq__``, ``__hash__``, ``__setattr__``, ``__delattr__``) as Python source and compiles
each one when the module is imported: for solgen's hundred value classes that is tens of
milliseconds at every start, a tenth of a render. ``@record`` lets ``dataclass`` collect
the fields and write nothing, and gives every class the same six methods, written once
here. They behave as the generated ones do: ``__init__`` takes the fields in order, by
position or name, with their defaults and default factories; equality and hashing over
the fields that ``compare`` (a ``field(compare=False)`` is left out), repr of the fields
that ``repr``, and a field cannot be assigned again or deleted
(``dataclasses.FrozenInstanceError``). A method the class writes itself is kept. ``dataclasses.fields``, ``replace`` and ``asdict`` work as on
any dataclass; ``object.__setattr__`` in a ``__post_init__`` works as with ``frozen=True``.

For type checkers a record is a frozen dataclass (``TYPE_CHECKING`` below).
"""

from __future__ import annotations

from dataclasses import MISSING, FrozenInstanceError, dataclass, fields
from typing import TYPE_CHECKING, Any, TypeVar

T = TypeVar("T")

__all__ = ["record", "frozen"]


def _init(self: Any, *args: Any, **kwargs: Any) -> None:
    spec = type(self).__record_init__
    if len(args) > len(spec):
        raise TypeError(f"{type(self).__name__}() takes {len(spec)} arguments but {len(args)} were given")
    values = self.__dict__
    for i, (name, default, factory) in enumerate(spec):
        if i < len(args):
            if name in kwargs:
                raise TypeError(f"{type(self).__name__}() got multiple values for argument {name!r}")
            values[name] = args[i]
        elif name in kwargs:
            values[name] = kwargs.pop(name)
        elif default is not MISSING:
            values[name] = default
        elif factory is not MISSING:
            values[name] = factory()
        else:
            raise TypeError(f"{type(self).__name__}() missing required argument: {name!r}")
    if kwargs:  # the fields' were taken out above: what is left names no field
        raise TypeError(f"{type(self).__name__}() got an unexpected keyword argument {sorted(kwargs)[0]!r}")


def _compared(self: Any) -> tuple[Any, ...]:
    return tuple(getattr(self, name) for name in type(self).__record_compare__)


def _eq(self: Any, other: Any) -> Any:
    if other.__class__ is self.__class__:
        return _compared(self) == _compared(other)
    return NotImplemented


def _hash(self: Any) -> int:
    return hash(_compared(self))


def _repr(self: Any) -> str:
    shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in type(self).__record_repr__)
    return f"{type(self).__qualname__}({shown})"


def _setattr(self: Any, name: str, value: Any) -> None:
    if name in self.__dict__:
        raise FrozenInstanceError(f"cannot assign to field {name!r}")
    object.__setattr__(self, name, value)


def _delattr(self: Any, name: str) -> None:
    raise FrozenInstanceError(f"cannot delete field {name!r}")


def _record(cls: type[T]) -> type[T]:
    own = dict(cls.__dict__)
    made: Any = dataclass(init=False, eq=False, repr=False)(cls)
    made.__record_init__ = tuple((f.name, f.default, f.default_factory) for f in fields(made))
    made.__record_compare__ = tuple(f.name for f in fields(made) if f.compare)
    made.__record_repr__ = tuple(f.name for f in fields(made) if f.repr)
    methods = {"__init__": _init, "__eq__": _eq, "__repr__": _repr, "__setattr__": _setattr, "__delattr__": _delattr}
    for name, method in methods.items():
        if name not in own:
            setattr(made, name, method)
    if "__hash__" not in own or (own["__hash__"] is None and "__eq__" in own):  # as dataclass(frozen=True) does
        made.__hash__ = _hash
    return made  # type: ignore[no-any-return]


def frozen(cls: type) -> bool:
    """Is ``cls`` a record, or a ``dataclass(frozen=True)`` (its fields set once)?"""
    params = getattr(cls, "__dataclass_params__", None)
    return "__record_compare__" in cls.__dict__ or bool(params is not None and params.frozen)


if TYPE_CHECKING:  # for type checkers, a record is a frozen dataclass
    from dataclasses import Field, field

    from typing_extensions import dataclass_transform

    @dataclass_transform(frozen_default=True, field_specifiers=(field, Field))
    def record(cls: type[T]) -> type[T]: ...
else:
    record = _record
