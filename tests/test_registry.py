import pytest

from engine.registry import Registry, UnknownName


def test_entries_from_listed_modules_are_found_by_name():
    registry = Registry("thing", ("json",))
    registry.register("one", 1, "tests.a")
    assert registry.get("one") == 1
    assert registry.names() == ["one"]
    assert "one" in registry and "two" not in registry


def test_unknown_name_suggests_the_closest():
    registry = Registry("metric", ())
    registry.register("crows_pairs", 1, "tests.a")
    with pytest.raises(UnknownName, match=r"unknown metric 'crow_pairs' \(did you mean 'crows_pairs'\?\); known: crows_pairs"):
        registry.get("crow_pairs")


def test_same_module_registers_again_another_module_may_not():
    registry = Registry("scorer", ())
    registry.register("x", 1, "tests.a")
    registry.register("x", 2, "tests.a")
    assert registry.get("x") == 2
    with pytest.raises(ValueError, match="registered twice"):
        registry.register("x", 3, "tests.b")


def test_decorator_registers_under_the_defining_module():
    registry = Registry("method", ())

    @registry.decorator("f")
    def f():
        return None

    assert registry.get("f") is f
