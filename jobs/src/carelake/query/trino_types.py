"""Trino's static types for the expressions the rewrites need to reason about.

sqlglot's annotate_types knows column types (from the lake's schema) and most function
return types, but two Trino rules matter for correct numbers and it does not follow them:
a numeric literal with a decimal point (``2.5``) is DECIMAL(2,1), not DOUBLE, and decimal
arithmetic has exact result precision and scale
(https://trino.io/docs/current/language/types.html#decimal, Presto's decimal operator table).
"""

from __future__ import annotations

from sqlglot import exp

Type = exp.DataType.Type

# Integer types and the DECIMAL precision Trino coerces them to in decimal arithmetic.
INTEGER_PRECISION: dict[Type, int] = {Type.TINYINT: 3, Type.SMALLINT: 5, Type.INT: 10, Type.BIGINT: 19}
DATE_TYPES = frozenset({Type.DATE, Type.DATE32})
TIMESTAMP_TYPES = frozenset(
    {Type.TIMESTAMP, Type.TIMESTAMPNTZ, Type.TIMESTAMP_S, Type.TIMESTAMP_MS, Type.TIMESTAMP_NS, Type.DATETIME}
)
TIMESTAMPTZ_TYPES = frozenset({Type.TIMESTAMPTZ, Type.TIMESTAMPLTZ})
FLOAT_TYPES = frozenset({Type.DOUBLE, Type.FLOAT})
STRING_TYPES = frozenset({Type.VARCHAR, Type.TEXT, Type.CHAR, Type.NCHAR, Type.NVARCHAR})
MAX_PRECISION = 38

# Fractional digits of DuckDB timestamp types as Athena sees them: Athena reads every
# Parquet timestamp as timestamp(3).
_TIMESTAMP_PRECISION: dict[Type, int] = {Type.TIMESTAMP_S: 0, Type.TIMESTAMP_MS: 3}


def decimal(precision: int, scale: int) -> exp.DataType:
    return exp.DataType.build(f"DECIMAL({min(precision, MAX_PRECISION)}, {scale})")


def _params(dtype: exp.DataType) -> list[int]:
    values: list[int] = []
    for param in dtype.expressions:
        inner = param.this if isinstance(param, exp.DataTypeParam) else param
        if isinstance(inner, exp.Literal) and inner.is_int:
            values.append(int(inner.this))
    return values


def is_kind(dtype: exp.DataType | None, kinds: frozenset[Type] | set[Type]) -> bool:
    return dtype is not None and dtype.this in kinds


def is_integer(dtype: exp.DataType | None) -> bool:
    return dtype is not None and dtype.this in INTEGER_PRECISION


def decimal_params(dtype: exp.DataType | None) -> tuple[int, int] | None:
    """(precision, scale) of a DECIMAL or of an integer type coerced to DECIMAL; else None."""
    if dtype is None:
        return None
    if dtype.this in INTEGER_PRECISION:
        return INTEGER_PRECISION[dtype.this], 0
    if dtype.this == Type.DECIMAL:
        params = _params(dtype)
        if len(params) == 2:
            return params[0], params[1]
        if len(params) == 1:
            return params[0], 0
    return None


def timestamp_precision(dtype: exp.DataType) -> int:
    """Fractional second digits Trino prints for a timestamp of this type (Athena default 3)."""
    if dtype.this in _TIMESTAMP_PRECISION:
        return _TIMESTAMP_PRECISION[dtype.this]
    params = _params(dtype)
    return params[0] if params else 3


def _literal_type(node: exp.Literal) -> exp.DataType | None:
    if node.is_string:
        return exp.DataType.build("VARCHAR")
    text = node.this.lstrip("+-")
    if "e" in text.lower():
        return exp.DataType.build("DOUBLE")
    if "." in text:
        whole, _, fraction = text.partition(".")
        digits = len(whole.lstrip("0")) + len(fraction)
        return decimal(max(digits, len(fraction), 1), len(fraction))
    return exp.DataType.build("INT" if abs(int(text)) <= 2**31 - 1 else "BIGINT")


def _arithmetic_type(node: exp.Add | exp.Sub | exp.Mul) -> exp.DataType | None:
    left, right = trino_type(node.left), trino_type(node.right)
    if is_integer(left) and is_integer(right):
        return left if INTEGER_PRECISION[left.this] >= INTEGER_PRECISION[right.this] else right
    lp, rp = decimal_params(left), decimal_params(right)
    if lp is None or rp is None:
        return None
    (p1, s1), (p2, s2) = lp, rp
    if isinstance(node, exp.Mul):
        return decimal(p1 + p2, s1 + s2)
    scale = max(s1, s2)
    return decimal(1 + max(p1 - s1, p2 - s2) + scale, scale)


def _common_decimal(types: list[exp.DataType | None]) -> exp.DataType | None:
    params = [decimal_params(t) for t in types]
    if not params or any(p is None for p in params):
        return None
    if all(is_integer(t) for t in types):
        return max(types, key=lambda t: INTEGER_PRECISION[t.this])  # type: ignore[union-attr]
    scale = max(s for _, s in params)  # type: ignore[misc]
    integer_digits = max(p - s for p, s in params)  # type: ignore[misc]
    return decimal(integer_digits + scale, scale)


def _branches(node: exp.Expression) -> list[exp.Expression] | None:
    if isinstance(node, exp.Coalesce):
        return [node.this, *node.expressions]
    if isinstance(node, exp.Case):
        values = [branch.args["true"] for branch in node.args.get("ifs") or []]
        return [*values, node.args["default"]] if node.args.get("default") else values
    if isinstance(node, exp.If):
        return [e for e in (node.args.get("true"), node.args.get("false")) if e is not None]
    return None


# Functions whose Trino result is a timestamp with time zone (annotate_types leaves them untyped).
_TIMESTAMPTZ_FUNCTIONS = (exp.FromISO8601Timestamp, exp.CurrentTimestamp, exp.UnixToTime)


def _structural_type(node: exp.Expression) -> exp.DataType | None:
    """Types that follow from the node's shape rather than from annotate_types."""
    if isinstance(node, _TIMESTAMPTZ_FUNCTIONS):
        return exp.DataType.build("TIMESTAMPTZ")
    if isinstance(node, exp.Literal):
        return _literal_type(node)
    if isinstance(node, exp.Cast):
        return node.to
    if isinstance(node, exp.Paren | exp.Neg | exp.Abs | exp.Window | exp.Filter):
        return trino_type(node.this)
    if isinstance(node, exp.Max | exp.Min | exp.AnyValue) and not node.expressions:
        return trino_type(node.this)
    if isinstance(node, exp.Add | exp.Sub | exp.Mul):
        return _arithmetic_type(node)
    return None


def _aggregate_type(node: exp.Expression) -> exp.DataType | None:
    if isinstance(node, exp.Sum | exp.Avg):
        arg = node.this.expressions[0] if isinstance(node.this, exp.Distinct) else node.this
        arg_type = trino_type(arg)
        if isinstance(node, exp.Sum) and is_integer(arg_type):
            return exp.DataType.build("BIGINT")  # Trino: sum(integer types) -> bigint
        params = decimal_params(arg_type) if not is_integer(arg_type) else None
        if params is not None:
            # Trino: sum(decimal(p,s)) -> decimal(38,s); avg(decimal(p,s)) -> decimal(p,s)
            return decimal(MAX_PRECISION if isinstance(node, exp.Sum) else params[0], params[1])
    if isinstance(node, exp.Round) and node.args.get("decimals") is not None:
        params = decimal_params(trino_type(node.this))
        if params is not None and not is_integer(trino_type(node.this)):
            return decimal(params[0] + 1, params[1])  # Trino: round(decimal(p,s), n) -> decimal(p+1,s)
    branches = [b for b in _branches(node) or [] if not isinstance(b, exp.Null)]
    if branches:
        return _common_decimal([trino_type(b) for b in branches])
    return None


def trino_type(node: exp.Expression | None) -> exp.DataType | None:
    """The Trino type of an annotated expression, or None when it cannot be told."""
    if node is None:
        return None
    found = _structural_type(node) or _aggregate_type(node)
    if found is not None:
        return found
    annotated = node.type
    if annotated is None or annotated.this in (Type.UNKNOWN, Type.NULL):
        return None
    return annotated
