"""``@record`` (solgen/math/record.py) behaves as ``@dataclass(frozen=True)`` does, for
what solgen's value classes rely on: equality and hashing over compared fields, repr, a
field set once, dataclasses.replace/fields, pickling (outcomes cross the worker's pipe),
and a method the class writes itself wins."""

from __future__ import annotations

import dataclasses
import pickle

import pytest

from solgen.math.record import frozen, record


@record
class Point:
    x: int
    label: str = dataclasses.field(default="", compare=False)


@record
class Named(Point):
    name: str = "p"

    def __repr__(self) -> str:
        return f"<{self.name}>"


@dataclasses.dataclass(frozen=True)
class Twin:
    x: int
    label: str = dataclasses.field(default="", compare=False)


def test_equality_and_hash_are_a_frozen_dataclass_s() -> None:
    a, b = Point(1, "a"), Point(1, "b")
    assert a == b and hash(a) == hash(b)  # label is not compared
    assert Point(1) != Point(2)
    assert Point(1) != Twin(1)  # another class is never equal
    assert hash(Point(1)) == hash(Twin(1))  # the same hash a frozen dataclass gives
    assert Named(1, name="q") != Point(1)
    assert {Point(1), Point(1, "x"), Point(2)} == {Point(1), Point(2)}


def test_repr_lists_the_fields_and_a_written_repr_wins() -> None:
    assert repr(Point(1, "a")) == repr(Twin(1, "a")).replace("Twin", "Point")
    assert repr(Named(1, name="q")) == "<q>"


def test_a_field_is_set_once() -> None:
    p = Point(1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.x = 2  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        del p.x  # type: ignore[misc]
    assert p.x == 1


def test_init_takes_fields_by_position_or_name_with_defaults() -> None:
    @record
    class Box:
        a: int
        b: list = dataclasses.field(default_factory=list)
        c: str = "c"

    box = Box(1, c="z")
    assert (box.a, box.b, box.c) == (1, [], "z") and Box(1).b is not Box(1).b
    assert Box(a=2, b=[1]) == Box(2, [1], "c")
    for bad in (lambda: Box(), lambda: Box(1, a=2), lambda: Box(1, d=3), lambda: Box(1, [], "c", 4)):
        with pytest.raises(TypeError):
            bad()


def test_replace_fields_pickle_and_frozen() -> None:
    p = Named(1, "a", "q")
    assert dataclasses.replace(p, x=3) == Named(3, "a", "q")
    assert [f.name for f in dataclasses.fields(p)] == ["x", "label", "name"]
    assert pickle.loads(pickle.dumps(p)) == p
    assert frozen(Point) and frozen(Named) and frozen(Twin)
    assert not frozen(dataclasses.make_dataclass("Loose", ["x"]))
