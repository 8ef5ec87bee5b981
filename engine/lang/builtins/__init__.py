"""The Python side of the snippet language: builtins (`len`, `range`, `zip`, `min`, `sorted`…),
the methods of lists, dicts and strings, `import math`, iteration, truth, comparison and
indexing of Python values.

Semantics and messages are Python 3.11's and, where a tensor is involved, PyTorch's
(`len()` of a 0-d tensor, `bool()` of a many-element tensor, `float(t)`). Every call is a
`namespace.Function` (bound methods are `namespace.BoundMethod`), so the interpreter calls these
through `namespace.call` like every table function. Nothing here calls a user's object except
user functions (`key=`, `map`), which the interpreter made and which run under its limits.

  core.py         iteration, truth, comparison, membership, whole numbers, the bounds
  indexing.py     obj[key], obj[key] = value, del obj[key]
  functions.py    the builtin functions and PYTHON_BUILTINS
  methods.py      methods and attributes of Python values, get_attribute
  math_module.py  MATH, the `math` module
"""

from chainrule.engine.lang.builtins.core import (
    INT_LIMIT,
    MAX_CHARS,
    MAX_ITEMS,
    LazyIterator,
    as_index,
    call_value,
    check_chars,
    check_hashable,
    check_items,
    compare,
    contains,
    equal,
    is_number,
    iterate,
    length_hint,
    materialise,
    truth,
    unpack,
)
from chainrule.engine.lang.builtins.functions import PYTHON_BUILTINS, is_exception_class, sort_list
from chainrule.engine.lang.builtins.indexing import del_item, get_item, set_item
from chainrule.engine.lang.builtins.math_module import MATH
from chainrule.engine.lang.builtins.methods import get_attribute

__all__ = [
    "INT_LIMIT", "MATH", "MAX_CHARS", "MAX_ITEMS", "PYTHON_BUILTINS", "LazyIterator", "as_index",
    "call_value", "check_chars", "check_hashable", "check_items", "compare", "contains",
    "del_item", "equal", "get_attribute", "get_item", "is_exception_class", "is_number",
    "iterate", "length_hint", "materialise", "set_item", "sort_list", "truth", "unpack",
]
