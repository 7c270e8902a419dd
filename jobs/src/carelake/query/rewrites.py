"""Every Trino-to-DuckDB rewrite that sqlglot's own transpilation does not get right, in one place.

Each rewrite takes one node of a type-annotated Athena AST (read="athena", annotated with the
lake's schema) and returns the node to put in its place, or None to leave it. They run
bottom-up (children first) and each rewrite's docstring names the Trino rule it preserves.
The expected values in tests/sql/test_dialect_matrix.py are worked out from those rules.

What sqlglot already maps correctly on this machine (sqlglot 30.x, DuckDB 2.0) is not
repeated here: day_of_week/dow -> ISODOW, date_format/date_parse (MySQL patterns),
lambdas (LAMBDA x : ...), concat/greatest/least null handling, regexp_replace's global flag,
WITH ORDINALITY, approx_percentile, arbitrary, count_if, element_at, last_day_of_month.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlglot import exp

from carelake.query import trino_types as tt
from carelake.query.errors import UnsupportedSqlError
from carelake.query.formats import joda_to_strftime


@dataclass
class RewriteContext:
    """What the rewrites report back: places where Trino semantics could not be guaranteed."""

    warnings: list[str] = field(default_factory=list)

    def warn(self, node: exp.Expression, message: str) -> None:
        self.warnings.append(f"{message}: {node.sql(dialect='athena')}")


RewriteFn = Callable[[exp.Expression, RewriteContext], exp.Expression | None]


# --- small builders -------------------------------------------------------------------------


def _fn(name: str, *args: exp.Expression) -> exp.Anonymous:
    return exp.Anonymous(this=name, expressions=list(args))


def _cast(node: exp.Expression, to: str | exp.DataType) -> exp.Cast:
    target = to if isinstance(to, exp.DataType) else exp.DataType.build(to, dialect="duckdb")
    return exp.Cast(this=node, to=target)


def _typed(node: exp.Expression, dtype: exp.DataType | str) -> exp.Expression:
    node.type = dtype if isinstance(dtype, exp.DataType) else exp.DataType.build(dtype)
    return node


def _string(node: exp.Expression | None) -> str | None:
    """The value of a string literal, else None."""
    if isinstance(node, exp.Literal) and node.is_string:
        return node.this
    return None


def _unit(node: exp.Expression) -> exp.Expression:
    unit = node.args.get("unit")
    if isinstance(unit, exp.Var | exp.Literal):
        return exp.Literal.string(unit.name.lower())
    if unit is None:
        raise UnsupportedSqlError(f"missing unit: {node.sql(dialect='athena')}")
    return unit


def _is_chain_top(node: exp.Expression) -> bool:
    """False for an aggregate that is the ``this`` of a FILTER or OVER wrapper."""
    return not (isinstance(node.parent, exp.Window | exp.Filter) and node.arg_key == "this")


def _inner_aggregate(node: exp.Expression) -> exp.Expression:
    while isinstance(node, exp.Window | exp.Filter):
        node = node.this
    return node


def _replace_inner(chain: exp.Expression, make: Callable[[exp.Expression], exp.Expression]) -> exp.Expression:
    """A copy of an aggregate chain (agg, agg FILTER, agg OVER) with the aggregate swapped."""
    copy = chain.copy()
    inner = _inner_aggregate(copy)
    replacement = make(inner)
    if inner is copy:
        return replacement
    inner.replace(replacement)
    return copy


# --- dates and timestamps ---------------------------------------------------------------------


def date_diff_whole_units(node: exp.Expression, ctx: RewriteContext) -> exp.Expression | None:
    """date_diff(unit, a, b): Trino counts whole elapsed units (Joda getDifferenceAsLong: days
    truncate toward zero, months step back when b's day/time is before a's, clamped at month
    end). DuckDB's DATE_DIFF counts unit boundaries crossed; its DATE_SUB counts whole units.
    """
    if not isinstance(node, exp.DateDiff):
        return None
    start, end = node.expression, node.this
    return _typed(_fn("DATE_SUB", _unit(node), start, end), "BIGINT")


def date_add_keeps_date(node: exp.Expression, ctx: RewriteContext) -> exp.Expression | None:
    """date_add(unit, n, date) is a DATE in Trino; DuckDB's date + INTERVAL is a TIMESTAMP."""
    if isinstance(node, exp.DateAdd) and tt.is_kind(tt.trino_type(node.this), tt.DATE_TYPES):
        return _cast(node, "DATE")
    return None


def date_interval_arithmetic_keeps_date(node: exp.Expression, ctx: RewriteContext) -> exp.Expression | None:
    """date + interval / date - interval is a DATE in Trino; a TIMESTAMP in DuckDB."""
    if not isinstance(node, exp.Add | exp.Sub):
        return None
    left, right = node.left, node.right
    if isinstance(right, exp.Interval) and tt.is_kind(tt.trino_type(left), tt.DATE_TYPES):
        return _cast(node, "DATE")
    if (
        isinstance(node, exp.Add)
        and isinstance(left, exp.Interval)
        and tt.is_kind(tt.trino_type(right), tt.DATE_TYPES)
    ):
        return _cast(node, "DATE")
    return None


def date_trunc_keeps_date(node: exp.Expression, ctx: RewriteContext) -> exp.Expression | None:
    """date_trunc(unit, date) is a DATE in Trino; DuckDB returns a TIMESTAMP."""
    if isinstance(node, exp.TimestampTrunc | exp.DateTrunc) and tt.is_kind(
        tt.trino_type(node.this), tt.DATE_TYPES
    ):
        return _cast(node, "DATE")
    return None


_EXTRACT_FIELDS = {
    "DOW": "ISODOW",
    "DAYOFWEEK": "ISODOW",
    "DAY_OF_WEEK": "ISODOW",
    "DOY": "DOY",
    "DAYOFYEAR": "DOY",
    "DAY_OF_YEAR": "DOY",
    "DAY_OF_MONTH": "DAY",
    "YOW": "ISOYEAR",
    "YEAR_OF_WEEK": "ISOYEAR",
}


def extract_iso_fields(node: exp.Expression, ctx: RewriteContext) -> exp.Expression | None:
    """EXTRACT(DOW|DAY_OF_WEEK ...) is ISO in Trino (1 = Monday .. 7 = Sunday); DuckDB's DOW
    is 0 = Sunday. Also the Trino-only field names DAY_OF_YEAR, DAY_OF_MONTH, YEAR_OF_WEEK."""
    if not isinstance(node, exp.Extract):
        return None
    name = node.this.name.upper()
    if name not in _EXTRACT_FIELDS:
        return None
    return _typed(exp.Extract(this=exp.var(_EXTRACT_FIELDS[name]), expression=node.expression), "BIGINT")


def current_date_utc(node: exp.Expression, ctx: RewriteContext) -> exp.Expression | None:
    """current_date is the date in the session zone; Athena's session zone is UTC."""
    if isinstance(node, exp.CurrentDate):
        return _cast(_fn("TIMEZONE", exp.Literal.string("UTC"), exp.CurrentTimestamp()), "DATE")
    return None


def format_datetime_joda(node: exp.Expression, ctx: RewriteContext) -> exp.Expression | None:
    """format_datetime(ts, pattern) and parse_datetime(s, pattern) take Joda-Time patterns;
    DuckDB's strftime/strptime take C patterns. Trino's parse_datetime returns a timestamp
    with time zone (UTC when the text has none)."""
    if not isinstance(node, exp.Anonymous) or node.name.lower() not in ("format_datetime", "parse_datetime"):
        return None
    if len(node.expressions) != 2:
        raise UnsupportedSqlError(f"{node.name} takes 2 arguments: {node.sql(dialect='athena')}")
    value, pattern = node.expressions
    joda = _string(pattern)
    if joda is None:
        raise UnsupportedSqlError(
            f"{node.name} needs a literal pattern to transpile: {node.sql(dialect='athena')}"
        )
    fmt = exp.Literal.string(joda_to_strftime(joda))
    if node.name.lower() == "format_datetime":
        return _typed(_fn("STRFTIME", value, fmt), "VARCHAR")
    return _cast(_fn("STRPTIME", value, fmt), "TIMESTAMPTZ")


def sequence_of_dates(node: exp.Expression, ctx: RewriteContext) -> exp.Expression | None:
    """sequence(date, date[, interval]) is array(date), step 1 day by default; DuckDB's
    GENERATE_SERIES needs a step for dates and returns timestamps."""
    if not isinstance(node, exp.GenerateSeries):
        return None
    start, end = node.args.get("start"), node.args.get("end")
    if not tt.is_kind(tt.trino_type(start), tt.DATE_TYPES):
        return None
    step = node.args.get("step") or exp.Interval(this=exp.Literal.string("1"), unit=exp.var("DAY"))
    series = _fn("GENERATE_SERIES", start, end, step)
    return _cast(series, exp.DataType.build("DATE[]", dialect="duckdb"))


# --- numbers ----------------------------------------------------------------------------------


def _unscaled(node: exp.Expression, scale: int) -> exp.Expression:
    """The unscaled integer of a decimal of the given scale (exact), as HUGEINT."""
    value = (
        node if scale == 0 else exp.Mul(this=exp.Paren(this=node), expression=exp.Literal.number(10**scale))
    )
    return _cast(value, "HUGEINT")


def exact_decimal_quotient(
    numerator: exp.Expression,
    numerator_scale: int,
    denominator: exp.Expression,
    denominator_scale: int,
    result: tuple[int, int],
) -> exp.Expression:
    """numerator / denominator as DECIMAL(result), rounded half up (away from zero) like
    Trino's DecimalOperators.divide. Truncating to one extra digit first and then rounding
    half away from zero gives the same digits as rounding the exact quotient."""
    precision, scale = result
    shift = scale - numerator_scale + denominator_scale + 1
    scaled = exp.Mul(this=_unscaled(numerator, numerator_scale), expression=exp.Literal.number(10**shift))
    truncated = exp.IntDiv(this=scaled, expression=_unscaled(denominator, denominator_scale))
    unit = _cast(exp.Literal.string("0." + "0" * scale + "1"), f"DECIMAL(38, {scale + 1})")
    with_extra_digit = exp.Mul(this=_cast(truncated, "DECIMAL(38, 0)"), expression=unit)
    rounded = exp.Round(this=with_extra_digit, decimals=exp.Literal.number(scale))
    return _cast(rounded, tt.decimal(precision, scale))


def division_keeps_trino_types(node: exp.Expression, ctx: RewriteContext) -> exp.Expression | None:
    """Trino's / follows the operand types: integer / integer truncates toward zero (7/2 = 3,
    -7/2 = -3); decimal(p1,s1) / decimal(p2,s2) (an integer counts as decimal(10,0), bigint as
    decimal(19,0), a literal 2.0 as decimal(2,1)) is decimal(min(38, p1 + s2 + max(0, s2 - s1)),
    max(s1, s2)) rounded half up, so 1 / 3.0 = 0.3; anything with a double is double. DuckDB's
    / always returns a double."""
    if not isinstance(node, exp.Div):
        return None
    left, right = tt.trino_type(node.left), tt.trino_type(node.right)
    if tt.is_integer(left) and tt.is_integer(right):
        wider = left if tt.INTEGER_PRECISION[left.this] >= tt.INTEGER_PRECISION[right.this] else right
        return _typed(exp.IntDiv(this=node.left, expression=node.right), wider.copy())
    if tt.is_kind(left, tt.FLOAT_TYPES) or tt.is_kind(right, tt.FLOAT_TYPES):
        node.set("typed", False)
        return None
    lp, rp = tt.decimal_params(left), tt.decimal_params(right)
    if lp is None or rp is None:
        ctx.warn(node, "could not tell the operand types of a division; it runs as DuckDB's float division")
        node.set("typed", False)
        return None
    (p1, s1), (_p2, s2) = lp, rp
    result = (min(38, p1 + s2 + max(0, s2 - s1)), max(s1, s2))
    quotient = exact_decimal_quotient(node.left, s1, node.right, s2, result)
    return _typed(quotient, tt.decimal(*result))


def avg_of_decimal_is_decimal(node: exp.Expression, ctx: RewriteContext) -> exp.Expression | None:
    """avg(decimal(p,s)) is decimal(p,s) in Trino (sum / count rounded half up); DuckDB returns
    a double. Works for plain, FILTER and OVER forms."""
    if not isinstance(node, exp.Avg | exp.Filter | exp.Window) or not _is_chain_top(node):
        return None
    inner = _inner_aggregate(node)
    if not isinstance(inner, exp.Avg):
        return None
    arg = inner.this.expressions[0] if isinstance(inner.this, exp.Distinct) else inner.this
    arg_type = tt.trino_type(arg)
    params = None if tt.is_integer(arg_type) else tt.decimal_params(arg_type)
    if params is None:
        return None
    precision, scale = params
    total = _replace_inner(node, lambda avg: exp.Sum(this=avg.this.copy()))
    count = _replace_inner(node, lambda avg: exp.Count(this=avg.this.copy()))
    quotient = exact_decimal_quotient(total, scale, count, 0, (precision, scale))
    return _typed(quotient, tt.decimal(precision, scale))


def integer_sums_are_bigint(node: exp.Expression, ctx: RewriteContext) -> exp.Expression | None:
    """sum(integer types) and count_if are BIGINT in Trino; DuckDB returns HUGEINT (which
    also reaches pandas as float64)."""
    if not isinstance(node, exp.Sum | exp.CountIf | exp.Filter | exp.Window) or not _is_chain_top(node):
        return None
    inner = _inner_aggregate(node)
    is_int_sum = isinstance(inner, exp.Sum) and tt.is_integer(tt.trino_type(inner))
    if not (is_int_sum or isinstance(inner, exp.CountIf)):
        return None
    return _cast(node, "BIGINT")


def round_decimal_keeps_scale(node: exp.Expression, ctx: RewriteContext) -> exp.Expression | None:
    """round(decimal(p,s), n) is decimal(p+1,s) in Trino (round(2.345, 2) = 2.350); DuckDB
    returns decimal(p,n). Same value, but the scale shows in casts to varchar."""
    if not isinstance(node, exp.Round) or node.args.get("decimals") is None:
        return None
    source = tt.trino_type(node.this)
    if tt.is_integer(source) or tt.decimal_params(source) is None:
        return None
    result = tt.trino_type(node)
    return _cast(node, result) if result is not None else None


def double_to_integer_rounds_half_up(node: exp.Expression, ctx: RewriteContext) -> exp.Expression | None:
    """cast(double as integer types) rounds half away from zero in Trino (2.5 -> 3, -2.5 -> -3);
    DuckDB rounds half to even (2.5 -> 2)."""
    if not isinstance(node, exp.Cast) or node.to.this not in tt.INTEGER_PRECISION:
        return None
    if not tt.is_kind(tt.trino_type(node.this), tt.FLOAT_TYPES):
        return None
    rounded = exp.Round(this=node.this)
    return node.__class__(this=rounded, to=node.to.copy(), safe=node.args.get("safe"))


_INTEGER_TEXT = r"[+-]?[0-9]+"


def varchar_to_integer_is_strict(node: exp.Expression, ctx: RewriteContext) -> exp.Expression | None:
    """cast(varchar as integer types) accepts only an optionally signed run of digits in Trino
    (Long.parseLong: no spaces, no fraction); try_cast gives NULL otherwise. DuckDB casts
    '1.5' to 2."""
    if not isinstance(node, exp.Cast) or node.to.this not in tt.INTEGER_PRECISION:
        return None
    if not tt.is_kind(tt.trino_type(node.this), tt.STRING_TYPES):
        return None
    value = node.this
    is_integer_text = _fn("REGEXP_FULL_MATCH", value.copy(), exp.Literal.string(_INTEGER_TEXT))
    if isinstance(node, exp.TryCast):
        checked: exp.Expression = exp.Case(ifs=[exp.If(this=is_integer_text, true=value)])
        return exp.TryCast(this=checked, to=node.to.copy())
    message = exp.DPipe(
        this=exp.DPipe(this=exp.Literal.string("Cannot cast '"), expression=value.copy()),
        expression=exp.Literal.string(f"' to {node.to.sql(dialect='athena')}"),
    )
    checked = exp.Case(
        ifs=[
            exp.If(
                this=exp.or_(is_integer_text, exp.Is(this=value.copy(), expression=exp.Null())), true=value
            )
        ],
        default=_fn("ERROR", message),
    )
    return exp.Cast(this=checked, to=node.to.copy())


def timestamp_to_varchar_keeps_precision(node: exp.Expression, ctx: RewriteContext) -> exp.Expression | None:
    """cast(timestamp(p) as varchar) prints exactly p fractional digits in Trino
    ('2024-03-01 10:00:00.000' for Athena's timestamp(3)); timestamp with time zone adds the
    zone ('... UTC'). DuckDB drops zero fractions and prints '+00'."""
    if not isinstance(node, exp.Cast) or node.to.this not in tt.STRING_TYPES:
        return None
    source = tt.trino_type(node.this)
    if source is None or source.this not in tt.TIMESTAMP_TYPES | tt.TIMESTAMPTZ_TYPES:
        return None
    precision = tt.timestamp_precision(source)
    fraction = {0: "", 3: ".%g", 6: ".%f", 9: ".%n"}.get(precision)
    value: exp.Expression = node.this
    if source.this in tt.TIMESTAMPTZ_TYPES:
        value = _fn("TIMEZONE", exp.Literal.string("UTC"), value)
    if fraction is None:
        # timestamp(1|2|4|5): cut the microseconds down to p digits.
        text: exp.Expression = _fn("STRFTIME", value, exp.Literal.string("%Y-%m-%d %H:%M:%S.%f"))
        text = _fn("LEFT", text, exp.Literal.number(20 + precision))
    else:
        text = _fn("STRFTIME", value, exp.Literal.string(f"%Y-%m-%d %H:%M:%S{fraction}"))
    if source.this in tt.TIMESTAMPTZ_TYPES:
        text = exp.DPipe(this=text, expression=exp.Literal.string(" UTC"))
    return _typed(text, "VARCHAR")


def special_doubles(node: exp.Expression, ctx: RewriteContext) -> exp.Expression | None:
    """nan() and infinity() are Trino functions; DuckDB spells them as double literals."""
    if isinstance(node, exp.Anonymous) and not node.expressions:
        literal = {"nan": "NaN", "infinity": "Infinity"}.get(node.name.lower())
        if literal:
            return _cast(exp.Literal.string(literal), "DOUBLE")
    return None


# --- strings, arrays, maps --------------------------------------------------------------------


def split_part_past_end_is_null(node: exp.Expression, ctx: RewriteContext) -> exp.Expression | None:
    """split_part(s, d, i) is NULL when s has fewer than i fields in Trino; DuckDB returns ''."""
    if not isinstance(node, exp.SplitPart):
        return None
    parts = _fn("STRING_SPLIT", node.this, node.args["delimiter"])
    return _typed(_fn("LIST_EXTRACT", parts, node.args["part_index"]), "VARCHAR")


def regexp_extract_no_match_is_null(node: exp.Expression, ctx: RewriteContext) -> exp.Expression | None:
    """regexp_extract returns NULL when the pattern does not match in Trino; DuckDB returns ''."""
    if not isinstance(node, exp.RegexpExtract):
        return None
    matches = _fn("REGEXP_MATCHES", node.this.copy(), node.expression.copy())
    return _typed(exp.Case(ifs=[exp.If(this=matches, true=node)]), "VARCHAR")


def _java_replacement_to_re2(text: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text):
            escaped = text[i + 1]
            out.append("\\\\" if escaped == "\\" else escaped)
            i += 2
        elif char == "$" and i + 1 < len(text) and text[i + 1].isdigit():
            out.append("\\" + text[i + 1])
            i += 2
        elif char == "$":
            raise UnsupportedSqlError(
                f"regexp_replace replacement {text!r}: only $0..$9 group references transpile"
            )
        else:
            out.append(char)
            i += 1
    return "".join(out)


def regexp_replace_group_references(node: exp.Expression, ctx: RewriteContext) -> exp.Expression | None:
    """Trino's regexp_replace replacement refers to groups as $1 (Java); DuckDB (RE2) as \\1."""
    if not isinstance(node, exp.RegexpReplace) or node.args.get("replacement") is None:
        return None
    text = _string(node.args["replacement"])
    if text is None:
        ctx.warn(node, "regexp_replace with a computed replacement: $n group references are not translated")
        return None
    if "$" not in text and "\\" not in text:
        return None
    node.set("replacement", exp.Literal.string(_java_replacement_to_re2(text)))
    return node


def cardinality_of_maps(node: exp.Expression, ctx: RewriteContext) -> exp.Expression | None:
    """cardinality() takes arrays and maps in Trino; sqlglot emits ARRAY_LENGTH, which DuckDB
    rejects for maps. DuckDB's CARDINALITY takes both."""
    if isinstance(node, exp.ArraySize):
        return _typed(_fn("CARDINALITY", node.this), "BIGINT")
    return None


def reduce_with_output_lambda(node: exp.Expression, ctx: RewriteContext) -> exp.Expression | None:
    """reduce(array, initial, (s, x) -> ..., s -> output) applies the output lambda to the
    final state; DuckDB's LIST_REDUCE has no output function, so it is applied to a
    one-element list."""
    if not isinstance(node, exp.Reduce) or node.args.get("finish") is None:
        return None
    finish = node.args["finish"]
    merged = exp.Reduce(this=node.this, initial=node.args["initial"], merge=node.args["merge"])
    applied = _fn("LIST_TRANSFORM", exp.Array(expressions=[merged]), finish)
    return _fn("LIST_EXTRACT", applied, exp.Literal.number(1))


def _three_valued_match(outcomes: exp.Expression, decisive: bool, result: bool) -> exp.Expression:
    """``result`` if some outcome is ``decisive``; else NULL if some outcome is NULL; else not
    ``result``. A NULL array gives NULL."""
    return exp.Case(
        ifs=[
            exp.If(this=exp.Is(this=outcomes.copy(), expression=exp.Null()), true=exp.Null()),
            exp.If(
                this=_fn("LIST_CONTAINS", outcomes.copy(), exp.Boolean(this=decisive)),
                true=exp.Boolean(this=result),
            ),
            exp.If(
                this=exp.LT(this=_fn("LIST_COUNT", outcomes.copy()), expression=_fn("LEN", outcomes.copy())),
                true=exp.Null(),
            ),
        ],
        default=exp.Boolean(this=not result),
    )


# name -> (decisive outcome, result when some element has it)
_MATCH_FUNCTIONS = {"any_match": (True, True), "all_match": (False, False), "none_match": (True, False)}


def array_match_functions(node: exp.Expression, ctx: RewriteContext) -> exp.Expression | None:
    """any_match / all_match / none_match (Trino): decided by the first element whose predicate
    settles it, NULL when only NULL predicates are left undecided; an empty array gives
    false / true / true. DuckDB has no such functions."""
    if not isinstance(node, exp.Anonymous) or node.name.lower() not in _MATCH_FUNCTIONS:
        return None
    if len(node.expressions) != 2:
        return None
    array, predicate = node.expressions
    decisive, result = _MATCH_FUNCTIONS[node.name.lower()]
    outcomes = _fn("LIST_TRANSFORM", array, predicate)
    return _typed(_three_valued_match(outcomes, decisive, result), "BOOLEAN")


def _unnest_columns(
    index: int, array: exp.Expression
) -> tuple[list[exp.Expression], list[exp.Expression]] | None:
    """(inner UNNEST projections, outer column expressions) for one UNNEST argument;
    None when the argument's type is unknown."""
    dtype = tt.trino_type(array)
    if dtype is None:
        return None
    name = f"_u{index}"
    if dtype.this == exp.DataType.Type.MAP:
        keys, values = f"{name}_key", f"{name}_value"
        inner = [
            exp.alias_(exp.Unnest(expressions=[_fn("MAP_KEYS", array.copy())]), keys),
            exp.alias_(exp.Unnest(expressions=[_fn("MAP_VALUES", array.copy())]), values),
        ]
        return inner, [exp.column(keys, table="_unnest"), exp.column(values, table="_unnest")]
    inner = [exp.alias_(exp.Unnest(expressions=[array.copy()]), name)]
    element = dtype.expressions[0] if dtype.this == exp.DataType.Type.ARRAY and dtype.expressions else None
    if isinstance(element, exp.DataType) and element.this == exp.DataType.Type.STRUCT:
        fields = [f.name for f in element.expressions if isinstance(f, exp.ColumnDef)]
        return inner, [
            exp.Dot(this=exp.column(name, table="_unnest"), expression=exp.to_identifier(f)) for f in fields
        ]
    return inner, [exp.column(name, table="_unnest")]


def unnest_zips_and_expands_rows(node: exp.Expression, ctx: RewriteContext) -> exp.Expression | None:
    """UNNEST in FROM (Trino): several arrays zip side by side (shorter ones padded with NULL),
    an array of rows gives one column per row field, a map gives key and value columns, and
    WITH ORDINALITY numbers the rows from 1. DuckDB's FROM-clause UNNEST takes one list and
    returns a row as a single struct column, so those cases become a (LATERAL) subquery of
    select-list UNNESTs, which DuckDB zips the same way."""
    if not isinstance(node, exp.Unnest) or not isinstance(node.parent, exp.From | exp.Join):
        return None
    arrays = list(node.expressions)
    parts = [_unnest_columns(i, a) for i, a in enumerate(arrays)]
    if any(p is None for p in parts):
        if len(arrays) > 1:
            ctx.warn(node, "UNNEST of several arrays of unknown types: rows of structs are not expanded")
        else:
            return None
    inner: list[exp.Expression] = []
    outer: list[exp.Expression] = []
    for i, (part, array) in enumerate(zip(parts, arrays, strict=True)):
        projections, columns = part or ([exp.alias_(exp.Unnest(expressions=[array.copy()]), f"_u{i}")], [])
        inner.extend(projections)
        outer.extend(columns or [exp.column(f"_u{i}", table="_unnest")])
    simple = len(arrays) == 1 and len(outer) == 1 and isinstance(outer[0], exp.Column)
    if simple:
        return None  # one plain array: DuckDB's UNNEST (WITH ORDINALITY too) matches Trino
    ordinality = node.args.get("offset")
    if ordinality:
        longest = _cast(_fn("GREATEST", *(_fn("CARDINALITY", a.copy()) for a in arrays)), "BIGINT")
        numbers = _fn("RANGE", exp.Literal.number(1), exp.Add(this=longest, expression=exp.Literal.number(1)))
        inner.append(exp.alias_(exp.Unnest(expressions=[numbers]), "_ordinality"))
        outer.append(exp.column("_ordinality", table="_unnest"))
    zipped = exp.select(*outer).from_(
        exp.Subquery(this=exp.select(*inner), alias=exp.TableAlias(this=exp.to_identifier("_unnest")))
    )
    alias = node.args.get("alias")
    columns = list(alias.columns) if alias else []
    if isinstance(ordinality, exp.Identifier):
        columns.append(ordinality.copy())
    table_alias = exp.TableAlias(
        this=alias.this.copy() if alias and alias.this else exp.to_identifier("_unnested"), columns=columns
    )
    if isinstance(node.parent, exp.Join):
        return exp.Lateral(this=exp.Subquery(this=zipped), alias=table_alias)
    return exp.Subquery(this=zipped, alias=table_alias)


def approx_percentile_keeps_type(node: exp.Expression, ctx: RewriteContext) -> exp.Expression | None:
    """approx_percentile(x, p) is bigint for integer x (Trino coerces tinyint..integer to
    bigint) and double/real for floating x; an array of percentages gives an array of that
    type. sqlglot casts DuckDB's APPROX_QUANTILE to DOUBLE, which also breaks the array form.
    Weighted percentiles have no DuckDB equivalent."""
    if not isinstance(node, exp.ApproxQuantile):
        return None
    if node.args.get("weight") is not None or node.args.get("accuracy") is not None:
        raise UnsupportedSqlError(
            f"weighted approx_percentile has no DuckDB equivalent: {node.sql(dialect='athena')}"
        )
    quantile = node.args["quantile"]
    result = _fn("APPROX_QUANTILE", node.this, quantile)
    if not tt.is_integer(tt.trino_type(node.this)):
        return result
    return _cast(result, "BIGINT[]" if isinstance(quantile, exp.Array) else "BIGINT")


def java_format(node: exp.Expression, ctx: RewriteContext) -> exp.Expression | None:
    """format(fmt, ...) uses Java's Formatter in Trino; DuckDB's FORMAT uses {} placeholders
    and its PRINTF takes the C-style %s/%d/%.2f that views use."""
    if isinstance(node, exp.Format):
        return _typed(_fn("PRINTF", node.this, *node.expressions), "VARCHAR")
    return None


@dataclass(frozen=True)
class Rewrite:
    name: str
    apply: RewriteFn


REWRITES: tuple[Rewrite, ...] = (
    Rewrite("date_diff counts whole units", date_diff_whole_units),
    Rewrite("date_add on a date stays a date", date_add_keeps_date),
    Rewrite("date +/- interval stays a date", date_interval_arithmetic_keeps_date),
    Rewrite("date_trunc on a date stays a date", date_trunc_keeps_date),
    Rewrite("extract(dow) is ISO", extract_iso_fields),
    Rewrite("current_date in UTC", current_date_utc),
    Rewrite("format_datetime/parse_datetime Joda patterns", format_datetime_joda),
    Rewrite("sequence of dates", sequence_of_dates),
    Rewrite("division follows operand types", division_keeps_trino_types),
    Rewrite("avg(decimal) is decimal", avg_of_decimal_is_decimal),
    Rewrite("sum(integer), count_if are bigint", integer_sums_are_bigint),
    Rewrite("round(decimal, n) keeps the scale", round_decimal_keeps_scale),
    Rewrite("cast double to integer rounds half up", double_to_integer_rounds_half_up),
    Rewrite("cast varchar to integer is strict", varchar_to_integer_is_strict),
    Rewrite("cast timestamp to varchar keeps precision", timestamp_to_varchar_keeps_precision),
    Rewrite("nan() and infinity()", special_doubles),
    Rewrite("split_part past the end is NULL", split_part_past_end_is_null),
    Rewrite("regexp_extract without match is NULL", regexp_extract_no_match_is_null),
    Rewrite("regexp_replace $n references", regexp_replace_group_references),
    Rewrite("cardinality of maps", cardinality_of_maps),
    Rewrite("reduce with an output lambda", reduce_with_output_lambda),
    Rewrite("any/all/none_match", array_match_functions),
    Rewrite("format() is printf-style", java_format),
    Rewrite("approx_percentile keeps the input type", approx_percentile_keeps_type),
    Rewrite("UNNEST zips arrays and expands rows", unnest_zips_and_expands_rows),
)


def apply_rewrites(tree: exp.Expression, ctx: RewriteContext) -> exp.Expression:
    """Apply REWRITES bottom-up (every node after its children); the first that matches wins."""
    for node in reversed(list(tree.walk(bfs=False))):
        # A rewrite may wrap the node itself (CAST(node AS DATE)), which re-parents it, so
        # remember where it sits before asking.
        parent, arg_key, index = node.parent, node.arg_key, node.index
        for rewrite in REWRITES:
            replacement = rewrite.apply(node, ctx)
            if replacement is None:
                continue
            if replacement is not node:
                if parent is None:
                    tree = replacement
                else:
                    parent.set(arg_key, replacement, index=index)
            break
    return tree
