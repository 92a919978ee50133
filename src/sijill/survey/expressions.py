"""XLSForm expressions (the XPath subset survey teams write in ``relevant`` and ``constraint``), parsed once
into a small tree of lists that both the server (here) and the phone's form (``survey/interview.js``)
evaluate, so skip logic and constraints mean the same thing on both sides.

Supported: numbers, 'strings', ``${name}``, ``.`` (the answer itself), ``= != < <= > >=``, ``and or``,
``+ - * div mod``, parentheses and the functions in ``FUNCTIONS``. Anything else is refused when the
questionnaire is loaded, naming the question, rather than silently ignored on the phone.
"""

from __future__ import annotations

import re

FUNCTIONS = {"selected": 2, "count-selected": 1, "not": 1, "string-length": 1, "true": 0, "false": 0,
             "number": 1, "int": 1, "count": 1, "boolean": 1}
_TOKEN = re.compile(r"""\s*(?:
    (?P<num>\d+(?:\.\d+)?)
  | (?P<str>'[^']*'|"[^"]*")
  | (?P<ref>\$\{[A-Za-z_][\w.-]*\})
  | (?P<op><=|>=|!=|=|<|>|\+|-|\*|\(|\)|,)
  | (?P<name>[A-Za-z_][\w-]*)
  | (?P<self>\.)
)""", re.X)
_CMP = ("=", "!=", "<", "<=", ">", ">=")


class ExpressionError(ValueError):
    pass


def _tokens(text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise ExpressionError(f"cannot read {text[pos:pos + 12]!r}")
        kind = m.lastgroup
        out.append((kind, m.group(kind)))
        pos = m.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return out


def parse(text: str) -> list:
    """The expression as a tree: ["num", 3], ["str", "x"], ["ref", "age"], ["self"], ["op", "and", a, b],
    ["fn", "selected", [args]]."""
    tokens = _tokens(text)
    pos = 0

    def peek():
        return tokens[pos] if pos < len(tokens) else ("end", "")

    def take():
        nonlocal pos
        pos += 1
        return tokens[pos - 1]

    def binary(next_level, ops):
        def level():
            left = next_level()
            while peek()[1] in ops and peek()[0] in ("op", "name"):
                op = take()[1]
                left = ["op", op, left, next_level()]
            return left
        return level

    def unary():
        if peek() == ("op", "-"):
            take()
            return ["op", "-", ["num", 0], unary()]
        return primary()

    def primary():
        kind, value = take() if pos < len(tokens) else ("end", "")
        if kind == "num":
            return ["num", float(value)]
        if kind == "str":
            return ["str", value[1:-1]]
        if kind == "ref":
            return ["ref", value[2:-1]]
        if kind == "self":
            return ["self"]
        if kind == "op" and value == "(":
            inner = expr()
            if take()[1] != ")":
                raise ExpressionError("a parenthesis is not closed")
            return inner
        if kind == "name" and peek() == ("op", "("):
            if value not in FUNCTIONS:
                raise ExpressionError(f"the function {value}() is not supported")
            take()
            args = []
            if peek() != ("op", ")"):
                args.append(expr())
                while peek() == ("op", ","):
                    take()
                    args.append(expr())
            if take() != ("op", ")"):
                raise ExpressionError(f"{value}( is not closed")
            if len(args) != FUNCTIONS[value]:
                raise ExpressionError(f"{value}() takes {FUNCTIONS[value]} arguments")
            return ["fn", value, args]
        raise ExpressionError(f"unexpected {value or 'end'!r}")

    mul = binary(unary, ("*", "div", "mod"))
    add = binary(mul, ("+", "-"))
    cmp = binary(add, _CMP)
    conj = binary(cmp, ("and",))
    expr = binary(conj, ("or",))
    tree = expr()
    if pos != len(tokens):
        raise ExpressionError(f"unexpected {tokens[pos][1]!r}")
    return tree


def references(tree) -> set[str]:
    """The answers an expression reads (checked against the questionnaire's names on loading)."""
    if tree[0] == "ref":
        return {tree[1]}
    if tree[0] == "op":
        return references(tree[2]) | references(tree[3])
    if tree[0] == "fn":
        return set().union(*(references(a) for a in tree[2]))
    return set()


def _number(value) -> float:
    if value is None or value == "":
        return float("nan")
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")


def _boolean(value) -> bool:
    if isinstance(value, float):
        return value == value and value != 0
    return bool(value)


def _compare(op: str, a, b) -> bool:
    if isinstance(a, (int, float)) or isinstance(b, (int, float)):
        a, b = _number(a), _number(b)
    else:
        a, b = "" if a is None else str(a), "" if b is None else str(b)
    return {"=": a == b, "!=": a != b, "<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]


def evaluate(tree, lookup, current=None):
    """The value of ``tree``; ``lookup(name)`` gives another answer, ``current`` is ``.``."""
    kind = tree[0]
    if kind in ("num", "str"):
        return tree[1]
    if kind == "ref":
        return lookup(tree[1])
    if kind == "self":
        return current
    if kind == "fn":
        name, args = tree[1], [evaluate(a, lookup, current) for a in tree[2]]
        if name == "selected":
            return str(args[1]) in str(args[0] or "").split()
        if name == "count-selected":
            return float(len(str(args[0] or "").split()))
        if name == "not":
            return not _boolean(args[0])
        if name == "string-length":
            return float(len("" if args[0] is None else str(args[0])))
        if name in ("number", "int"):
            n = _number(args[0])
            return float(int(n)) if name == "int" and n == n else n
        if name == "count":
            return float(len(args[0] or []))
        if name == "boolean":
            return _boolean(args[0])
        return name == "true"
    op, left, right = tree[1], tree[2], tree[3]
    if op == "and":
        return _boolean(evaluate(left, lookup, current)) and _boolean(evaluate(right, lookup, current))
    if op == "or":
        return _boolean(evaluate(left, lookup, current)) or _boolean(evaluate(right, lookup, current))
    a, b = evaluate(left, lookup, current), evaluate(right, lookup, current)
    if op in _CMP:
        return _compare(op, a, b)
    a, b = _number(a), _number(b)
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if op == "div":
        return a / b if b else float("nan")
    return a % b if b else float("nan")


def truthy(value) -> bool:
    return _boolean(value)
