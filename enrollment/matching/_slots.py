"""A faster constructor for the frozen slotted dataclasses built by the million (Features, Address)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from typing import Any


def slots_constructor(cls: type) -> Callable[..., Any]:
    """`make(*values)`, one value per field in field order, returns an object equal to `cls(*values)`.

    A frozen dataclass's `__init__` sets each field through `object.__setattr__`; this sets the
    slots directly, about twice as fast. Only for slotted dataclasses without `__post_init__`;
    every field must be passed (no defaults are applied).
    """
    cls_fields = fields(cls)
    if "__post_init__" in vars(cls) or "__slots__" not in vars(cls) or any(not f.init for f in cls_fields):
        raise TypeError(f"{cls.__name__} must be a slotted dataclass without __post_init__")
    names = [f.name for f in cls_fields]
    namespace: dict[str, Any] = {"_new": object.__new__, "_cls": cls}
    namespace.update({f"_set_{name}": vars(cls)[name].__set__ for name in names})
    body = "".join(f"    _set_{name}(self, {name})\n" for name in names)
    exec(f"def make({', '.join(names)}):\n    self = _new(_cls)\n{body}    return self\n", namespace)  # noqa: S102
    return namespace["make"]
