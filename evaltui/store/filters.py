"""The filter language: one syntax for the CLI and the TUI, compiled to DuckDB SQL.

    topic = "account_and_login" and scores.brand_alignment <= 0.5
        and metadata.total_turns = 1 and input ~ "password"

Grammar (keywords are case-insensitive)::

    expr       := and_expr ("or" and_expr)*
    and_expr   := unary ("and" unary)*
    unary      := "not" unary | "(" expr ")" | comparison
    comparison := field op value | field ["not"] "in" "(" value ("," value)* ")"
                | field "is" ["not"] "null"
    op         := = | != | < | <= | > | >= | ~ (contains, any case) | !~
    field      := name ("." (name | "quoted key"))*
    value      := "string" | 'string' | number | true | false | null | bareword

Every value reaches SQL as a bound parameter, never as text spliced into the
statement: a filter cannot change what the query does, only what it matches.
Errors carry the column of the problem. Nesting (parentheses, ``not``) is bounded, so
no filter can exhaust the stack; so is the number of comparisons, and the ``~`` terms
of one field under one ``or`` become one regular expression, so a long list of
words costs one scan instead of one per word.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from evaltui.errors import EvaltuiError
from evaltui.model import RecordError, parse_ts, scorer_key


class FilterError(EvaltuiError, ValueError):
    """A filter that does not parse; ``pos`` is the 0-based offset of the problem."""

    def __init__(self, message: str, pos: int, text: str = "") -> None:
        super().__init__(message)
        self.message, self.pos, self.text = message, pos, text

    def __str__(self) -> str:
        return f"bad filter at column {self.pos + 1}: {self.message}"

    def pointer(self) -> str:
        """The filter with a caret under the problem, for multi-line displays."""
        return f"{self.text}\n{' ' * self.pos}^"


MAX_DEPTH = 64  # parentheses and `not`s around one comparison
MAX_COMPARISONS = 1000

# -- tokens -----------------------------------------------------------------

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<num>-?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?(?![\w.]))
  | (?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
  | (?P<op><=|>=|!=|!~|<>|==|=|<|>|~)
  | (?P<punct>[(),.])
  | (?P<word>[^\W\d][\w\-]*|\d[\w\-]*)
    """,
    re.VERBOSE | re.UNICODE,
)
_KEYWORDS = {"and", "or", "not", "in", "is", "null", "true", "false"}
_ESCAPES = {"n": "\n", "t": "\t", "\\": "\\", '"': '"', "'": "'"}


@dataclass(frozen=True)
class Token:
    kind: str  # num | str | op | punct | word | kw | end
    text: str
    pos: int
    value: Any = None


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            ch = text[pos]
            if ch in "\"'":
                raise FilterError("unterminated string", pos, text)
            raise FilterError(f"unexpected character {ch!r}", pos, text)
        kind = m.lastgroup or ""
        raw = m.group()
        if kind == "num":
            tokens.append(Token("num", raw, pos, float(raw) if any(c in raw for c in ".eE") else int(raw)))
        elif kind == "str":
            tokens.append(Token("str", raw, pos, _unquote(raw, pos, text)))
        elif kind == "op":
            op = {"==": "=", "<>": "!="}.get(raw, raw)
            tokens.append(Token("op", op, pos))
        elif kind == "punct":
            tokens.append(Token("punct", raw, pos))
        elif kind == "word":
            low = raw.lower()
            tokens.append(Token("kw" if low in _KEYWORDS else "word", low if low in _KEYWORDS else raw, pos))
        pos = m.end()
    tokens.append(Token("end", "", len(text)))
    return tokens


def _unquote(raw: str, pos: int, text: str) -> str:
    out, i, body = [], 0, raw[1:-1]
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            if nxt not in _ESCAPES:
                raise FilterError(f"unknown escape \\{nxt} in string", pos + 1 + i, text)
            out.append(_ESCAPES[nxt])
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


# -- syntax tree --------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    parts: tuple[str, ...]
    pos: int

    @property
    def name(self) -> str:
        return ".".join(self.parts)


@dataclass(frozen=True)
class Value:
    value: Any  # str | int | float | bool | None
    pos: int
    quoted: bool = False


@dataclass(frozen=True)
class Compare:
    field: Field
    op: str  # = != < <= > >= ~ !~ in notin isnull notnull
    values: tuple[Value, ...]
    pos: int


@dataclass(frozen=True)
class BoolOp:
    op: str  # and | or
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    item: Node


Node = Compare | BoolOp | Not


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.i = 0
        self.depth = 0
        self.comparisons = 0

    def peek(self) -> Token:
        return self.tokens[self.i]

    def take(self) -> Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def error(self, message: str, tok: Token | None = None) -> FilterError:
        return FilterError(message, (tok or self.peek()).pos, self.text)

    def accept(self, kind: str, text: str | None = None) -> Token | None:
        tok = self.peek()
        if tok.kind == kind and (text is None or tok.text == text):
            return self.take()
        return None

    def parse(self) -> Node:
        node = self.or_expr()
        tok = self.peek()
        if tok.kind != "end":
            raise self.error(f"expected 'and', 'or' or the end, found {tok.text!r}")
        return node

    def or_expr(self) -> Node:
        items = [self.and_expr()]
        while self.accept("kw", "or"):
            items.append(self.and_expr())
        return items[0] if len(items) == 1 else BoolOp("or", tuple(items))

    def and_expr(self) -> Node:
        items = [self.unary()]
        while self.accept("kw", "and"):
            items.append(self.unary())
        return items[0] if len(items) == 1 else BoolOp("and", tuple(items))

    def unary(self) -> Node:
        tok = self.peek()
        if (tok.kind, tok.text) in (("kw", "not"), ("punct", "(")):
            # each level is a few Python frames while parsing and compiling
            if self.depth >= MAX_DEPTH:
                raise self.error(f"nested too deep (at most {MAX_DEPTH} parentheses and 'not's)", tok)
            self.depth += 1
            try:
                return self.nested()
            finally:
                self.depth -= 1
        self.comparisons += 1
        if self.comparisons > MAX_COMPARISONS:
            raise self.error(f"too many comparisons (at most {MAX_COMPARISONS}; use 'in (...)' for lists)", tok)
        return self.comparison()

    def nested(self) -> Node:
        if self.accept("kw", "not"):
            return Not(self.unary())
        open_tok = self.take()
        node = self.or_expr()
        if not self.accept("punct", ")"):
            raise self.error(f"missing ')' for the '(' at column {open_tok.pos + 1}")
        return node

    def field(self) -> Field:
        tok = self.peek()
        if tok.kind != "word":
            if tok.kind == "end":
                raise self.error("expected a field name, e.g. topic, input, scores.NAME, metadata.KEY")
            raise self.error(f"expected a field name, found {tok.text!r}")
        self.take()
        parts = [tok.text]
        while self.accept("punct", "."):
            nxt = self.peek()
            if nxt.kind in ("word", "kw", "num"):
                parts.append(self.take().text)
            elif nxt.kind == "str":
                if nxt.value == "":
                    raise self.error("a key cannot be empty", nxt)
                parts.append(self.take().value)
            else:
                raise self.error("expected a key after '.'")
        return Field(tuple(parts), tok.pos)

    def value(self) -> Value:
        tok = self.peek()
        if tok.kind == "str":
            self.take()
            return Value(tok.value, tok.pos, quoted=True)
        if tok.kind == "num":
            self.take()
            return Value(tok.value, tok.pos)
        if tok.kind == "kw" and tok.text in ("true", "false", "null"):
            self.take()
            return Value({"true": True, "false": False, "null": None}[tok.text], tok.pos)
        if tok.kind == "word":
            self.take()
            return Value(tok.text, tok.pos)
        if tok.kind == "end":
            raise self.error("expected a value at the end of the filter")
        raise self.error(f"expected a value, found {tok.text!r}")

    def comparison(self) -> Compare:
        fld = self.field()
        tok = self.peek()
        if tok.kind == "op":
            self.take()
            return Compare(fld, tok.text, (self.value(),), tok.pos)
        if tok.kind == "kw" and tok.text == "is":
            self.take()
            negate = bool(self.accept("kw", "not"))
            if not self.accept("kw", "null"):
                raise self.error("expected 'null' after 'is'")
            return Compare(fld, "notnull" if negate else "isnull", (), tok.pos)
        if tok.kind == "kw" and tok.text in ("in", "not"):
            self.take()
            op = "in"
            if tok.text == "not":
                if not self.accept("kw", "in"):
                    raise self.error("expected 'in' after 'not'")
                op = "notin"
            if not self.accept("punct", "("):
                raise self.error("expected '(' to open the list of values")
            values = [self.value()]
            while self.accept("punct", ","):
                values.append(self.value())
            if not self.accept("punct", ")"):
                raise self.error("expected ',' or ')' in the list of values")
            return Compare(fld, op, tuple(values), tok.pos)
        if tok.kind == "end":
            raise self.error(f"expected an operator after {fld.name!r} (=, !=, <, <=, >, >=, ~, in, is null)")
        raise self.error(f"expected an operator after {fld.name!r}, found {tok.text!r}")


def parse(text: str) -> Node | None:
    """Parse a filter; an empty filter is None (matches everything)."""
    if not text or not text.strip():
        return None
    return _Parser(text).parse()


# -- compiling to SQL ---------------------------------------------------------

# Plain span columns a filter can name; aliases on the right.
SPAN_COLUMNS = {
    "id": "id",
    "root_id": "root_id",
    "parent_id": "parent_id",
    "name": "name",
    "span_type": "span_type",
    "type": "span_type",
    "ts": "ts",
    "time": "ts",
    "error": "error",
    "source": "source",
    "topic": "topic",
    "group": "topic_group",
}
JSON_COLUMNS = {"input", "output", "expected"}
JSON_OBJECT_COLUMNS = {"metadata", "metrics"}
FIELD_HELP = (
    "fields: "
    + ", ".join(sorted(set(SPAN_COLUMNS) | JSON_COLUMNS))
    + ", tags, scores.NAME, labels.NAME, metadata.KEY, metrics.KEY"
)
_CMP = {"=": "=", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}


@dataclass
class CompiledFilter:
    """SQL for the WHERE clause over ``spans`` aliased ``s``, with its joins and parameters."""

    where: str = "true"
    params: list[Any] = field(default_factory=list)
    joins: list[str] = field(default_factory=list)
    join_params: list[Any] = field(default_factory=list)
    scorers: list[str] = field(default_factory=list)  # score keys the filter names

    @property
    def from_sql(self) -> str:
        return "spans s " + " ".join(self.joins)


class _Compiler:
    def __init__(self, text: str) -> None:
        self.text = text
        self.out = CompiledFilter()
        self.score_alias: dict[str, str] = {}

    def error(self, message: str, pos: int) -> FilterError:
        return FilterError(message, pos, self.text)

    def node(self, n: Node) -> str:
        if isinstance(n, BoolOp):
            return "(" + f" {n.op.upper()} ".join(self.bool_items(n)) + ")"
        if isinstance(n, Not):
            # NOT over a missing value (NULL) should match: "not scores.x < 0.5" keeps unscored spans.
            return f"(({self.node(n.item)}) IS NOT TRUE)"
        return self.compare(n)

    def bool_items(self, n: BoolOp) -> list[str]:
        """SQL of each item; the `~` terms of one text field under `or` (or its `!~`
        terms under `and`) merge into one regular expression: one scan of the text
        (n `contains` calls cost DuckDB far more than n times one)."""
        merge_op = "~" if n.op == "or" else "!~"
        groups: dict[str, list[Compare]] = {}
        for item in n.items:
            if (
                isinstance(item, Compare)
                and item.op == merge_op
                and item.values[0].value is not None
                and self.text_column(item.field) is not None
            ):
                groups.setdefault(item.field.name.lower(), []).append(item)
        out: list[str] = []
        for item in n.items:
            group = groups.get(item.field.name.lower()) if isinstance(item, Compare) else None
            if group is None or len(group) < 2 or item not in group:
                out.append(self.node(item))
            elif item is group[0]:
                self.out.params.append("|".join(_literal_regex(str(c.values[0].value).lower()) for c in group))
                not_ = "NOT " if merge_op == "!~" else ""
                out.append(f"({not_}regexp_matches(lower({self.text_column(item.field)}), ?))")
        return out

    def text_column(self, f: Field) -> str | None:
        """The text a `~` on this field searches, for the plain text fields."""
        head = f.parts[0].lower()
        if len(f.parts) != 1:
            return None
        if head in JSON_COLUMNS:
            return f"(s.{head} ->> '$')"
        if head in SPAN_COLUMNS and SPAN_COLUMNS[head] != "ts":
            return f"s.{SPAN_COLUMNS[head]}"
        return None

    def score_column(self, key: str, column: str) -> str:
        alias = self.score_alias.get(key)
        if alias is None:
            alias = f"sc{len(self.score_alias)}"
            self.score_alias[key] = alias
            self.out.joins.append(
                f"LEFT JOIN score_rollup {alias} ON {alias}.span_id = s.id AND {alias}.scorer_key = ?"
            )
            self.out.join_params.append(key)
            self.out.scorers.append(key)
        return f"{alias}.{column}"

    def compare(self, c: Compare) -> str:
        f = c.field
        head = f.parts[0].lower()
        rest = f.parts[1:]
        if head in ("scores", "score", "labels", "label"):
            if len(rest) != 1:
                raise self.error(f"name one scorer: {head}.NAME, e.g. scores.brand_alignment", f.pos)
            column = "score" if head.startswith("score") else "label"
            kind = "number" if column == "score" else "text"
            return self.predicate(self.score_column(scorer_key(rest[0]), column), kind, c)
        if head in JSON_OBJECT_COLUMNS:
            if not rest:
                raise self.error(f"name a key: {head}.KEY", f.pos)
            path = "$" + "".join('."' + p.replace('"', '\\"') + '"' for p in rest)
            return self.json_predicate(f"s.{head}", path, c)
        if rest:
            raise self.error(f"{f.parts[0]!r} has no keys; {FIELD_HELP}", f.pos)
        if head in JSON_COLUMNS:
            return self.predicate(f"(s.{head} ->> '$')", "text", c)
        if head == "tags":
            return self.tags_predicate(c)
        if head in SPAN_COLUMNS:
            column = SPAN_COLUMNS[head]
            return self.predicate(f"s.{column}", "time" if column == "ts" else "text", c)
        raise self.error(f"unknown field {f.name!r}; {FIELD_HELP}", f.pos)

    def bind(self, v: Value, kind: str) -> Any:
        if kind == "time":
            try:
                parsed = parse_ts(v.value) if not isinstance(v.value, bool) else None
            except RecordError:
                parsed = None
            if parsed is None:
                raise self.error(f'{v.value!r} is not a time; use e.g. "2026-11-01" or "2026-11-01T12:00"', v.pos)
            return parsed
        if kind == "number":
            if isinstance(v.value, bool) or not isinstance(v.value, (int, float)):
                raise self.error(f"expected a number, found {v.value!r}", v.pos)
            return float(v.value)
        if isinstance(v.value, bool):
            return "true" if v.value else "false"
        return str(v.value)

    def predicate(self, col: str, kind: str, c: Compare) -> str:
        params = self.out.params
        if c.op == "isnull":
            return f"({col} IS NULL)"
        if c.op == "notnull":
            return f"({col} IS NOT NULL)"
        if any(v.value is None for v in c.values):
            raise self.error("compare with null using 'is null' or 'is not null'", c.pos)
        if c.op in ("in", "notin"):
            params.extend(self.bind(v, kind) for v in c.values)
            marks = ", ".join("?" for _ in c.values)
            return f"({col} {'NOT ' if c.op == 'notin' else ''}IN ({marks}))"
        (v,) = c.values
        if c.op in ("~", "!~"):
            params.append(str(v.value).lower())
            text = col if kind == "text" else f"CAST({col} AS VARCHAR)"
            return f"({'NOT ' if c.op == '!~' else ''}contains(lower({text}), ?))"
        if kind == "text" and isinstance(v.value, (int, float)) and not isinstance(v.value, bool) and not v.quoted:
            params.append(str(v.value))  # ids and names that look like numbers compare as text
        else:
            params.append(self.bind(v, kind))
        return f"({col} {_CMP[c.op]} ?)"

    def json_predicate(self, col: str, path: str, c: Compare) -> str:
        self.out.params.append(path)
        text = f"json_extract_string({col}, ?)"
        values = [v.value for v in c.values]
        numeric = values and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in values)
        if c.op in ("<", "<=", ">", ">=") and not numeric:
            raise self.error(f"{c.op} needs a number", c.values[0].pos)
        if numeric and c.op not in ("~", "!~"):
            return self.predicate(f"TRY_CAST({text} AS DOUBLE)", "number", c)
        return self.predicate(text, "text", c)

    def tags_predicate(self, c: Compare) -> str:
        params = self.out.params
        if c.op in ("=", "!="):
            params.append(self.bind(c.values[0], "text"))
            return f"({'NOT ' if c.op == '!=' else ''}list_contains(s.tags, ?))"
        if c.op in ("in", "notin"):
            params.extend(self.bind(v, "text") for v in c.values)
            marks = ", ".join("?" for _ in c.values)
            return f"({'NOT ' if c.op == 'notin' else ''}list_has_any(s.tags, [{marks}]))"
        if c.op in ("~", "!~"):
            params.append(str(c.values[0].value).lower())
            return f"({'NOT ' if c.op == '!~' else ''}contains(lower(array_to_string(s.tags, ' ')), ?))"
        if c.op in ("isnull", "notnull"):
            return f"(len(s.tags) {'=' if c.op == 'isnull' else '>'} 0)"
        raise self.error("tags support =, !=, in, ~ and is null", c.pos)


def _literal_regex(text: str) -> str:
    """``text`` as an RE2 pattern matching itself: every other character as ``\\x{..}``."""
    return "".join(ch if ch.isascii() and ch.isalnum() else f"\\x{{{ord(ch):x}}}" for ch in text)


def compile_filter(text: str | None) -> CompiledFilter:
    """Parse and compile ``text``; raises FilterError with the position of a problem."""
    node = parse(text or "")
    if node is None:
        return CompiledFilter()
    compiler = _Compiler(text or "")
    compiler.out.where = compiler.node(node)
    return compiler.out


def field_names() -> list[str]:
    """Field names for completion (scorer names are added by the caller from the store)."""
    return sorted(set(SPAN_COLUMNS) | JSON_COLUMNS | {"tags"}) + ["labels.", "metadata.", "metrics.", "scores."]
