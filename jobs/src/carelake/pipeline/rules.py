"""Plausibility rules as data: reviewed YAML files, one small engine, the same on Glue and locally.

A rule is a name, the tables it applies to (``zone.table``, ``*`` globs allowed), a Spark
SQL boolean ``check`` that a plausible row satisfies, and a ``message``. A row fails a rule
when the check is false; a check that is null (a value it needs is missing) passes:
whether a value is required is the source contract's business, not a plausibility rule's.
The first failing rule quarantines the row with the rule's name and message.

The files (carelake/rules/*.yaml) also hold ``constants`` that checks refer to as
``${name}`` (the earliest plausible clinical date, the allowed clock skew, the money
ceiling), so a threshold is stated once and reviewed with the rules.

Why not a data-quality library: Deequ needs JVM jars (no Maven here, and Glue would need
them shipped); Great Expectations and pandera report failures per column or batch, not a
reason per quarantined row. The rules are Spark SQL, so the same text runs on Glue 5.0
and on a laptop.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

import yaml
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

RULE_FILES = ("bronze.yaml", "silver.yaml")
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_CONSTANT = re.compile(r"\$\{([a-z_][a-z0-9_]*)\}")


class RuleFileError(ValueError):
    """A rules file that does not follow the format."""


@dataclass(frozen=True)
class Rule:
    name: str
    tables: tuple[str, ...]  # zone.table patterns
    check: str  # Spark SQL, constants substituted
    message: str

    def applies_to(self, table: str) -> bool:
        return any(fnmatch.fnmatchcase(table, pattern) for pattern in self.tables)


def parse_rules(document: dict, origin: str = "rules") -> tuple[Rule, ...]:
    """Rules from one parsed YAML document; raises RuleFileError naming what is wrong."""
    if not isinstance(document, dict) or document.get("version") != 1:
        raise RuleFileError(f"{origin}: expected a mapping with version: 1")
    constants = document.get("constants") or {}
    if not isinstance(constants, dict):
        raise RuleFileError(f"{origin}: constants must be a mapping")
    rules = []
    for index, entry in enumerate(document.get("rules") or []):
        where = f"{origin}: rule {index + 1}"
        if not isinstance(entry, dict) or set(entry) - {"name", "tables", "check", "message"}:
            raise RuleFileError(f"{where}: keys are name, tables, check, message")
        name, tables, check, message = (entry.get(k) for k in ("name", "tables", "check", "message"))
        if not isinstance(name, str) or not _NAME.match(name):
            raise RuleFileError(f"{where}: name must be snake_case")
        if isinstance(tables, str):
            tables = [tables]
        if not tables or not all(isinstance(t, str) and "." in t for t in tables):
            raise RuleFileError(f"{where} ({name}): tables must be zone.table names or patterns")
        if not isinstance(check, str) or not check.strip():
            raise RuleFileError(f"{where} ({name}): check must be a Spark SQL condition")
        if not isinstance(message, str) or not message.strip():
            raise RuleFileError(f"{where} ({name}): message must say what is implausible")
        unknown = sorted(set(_CONSTANT.findall(check)) - set(constants))
        if unknown:
            raise RuleFileError(f"{where} ({name}): unknown constants {unknown}")
        expanded = _CONSTANT.sub(lambda m: str(constants[m.group(1)]), check)
        rules.append(Rule(name, tuple(tables), expanded, message.strip()))
    names = [r.name for r in rules]
    if len(set(names)) != len(names):
        raise RuleFileError(f"{origin}: rule names must be unique")
    return tuple(rules)


@cache
def all_rules() -> tuple[Rule, ...]:
    """The rules of every file shipped in carelake/rules."""
    found: list[Rule] = []
    for name in RULE_FILES:
        text = resources.files("carelake").joinpath("rules", name).read_text(encoding="utf-8")
        found.extend(parse_rules(yaml.safe_load(text), f"rules/{name}"))
    return tuple(found)


def rules_for(table: str, rules: tuple[Rule, ...] | None = None) -> tuple[Rule, ...]:
    return tuple(r for r in (all_rules() if rules is None else rules) if r.applies_to(table))


def first_failure(table: str, rules: tuple[Rule, ...] | None = None) -> tuple[Column, Column]:
    """(rule name, message) of the first rule a row of ``table`` fails; both null when it passes."""
    applicable = rules_for(table, rules)
    if not applicable:
        return F.lit(None).cast("string"), F.lit(None).cast("string")
    failed = [(rule, F.expr(f"not coalesce(({rule.check}), true)")) for rule in applicable]
    name = F.coalesce(*(F.when(fails, F.lit(rule.name)) for rule, fails in failed))
    message = F.coalesce(
        *(F.when(fails, F.lit(f"implausible ({rule.name}): {rule.message}")) for rule, fails in failed)
    )
    return name, message


def with_rule_failures(frame: DataFrame, table: str, rules: tuple[Rule, ...] | None = None) -> DataFrame:
    """``frame`` plus ``rule`` and ``rule_reason``: the first rule the row fails (null: none)."""
    name, message = first_failure(table, rules)
    return frame.withColumn("rule", name).withColumn("rule_reason", message)


def first_failure_by_table(
    tables: list[str], table_column: Column, rules: tuple[Rule, ...] | None = None
) -> tuple[Column, Column]:
    """Like :func:`first_failure` for a frame holding rows of several tables (``table_column``
    names each row's ``zone.table``)."""
    applicable = [
        (rule, [t for t in tables if rule.applies_to(t)])
        for rule in (all_rules() if rules is None else rules)
    ]
    failed = [
        (rule, table_column.isin(*names) & F.expr(f"not coalesce(({rule.check}), true)"))
        for rule, names in applicable
        if names
    ]
    if not failed:
        return F.lit(None).cast("string"), F.lit(None).cast("string")
    name = F.coalesce(*(F.when(fails, F.lit(rule.name)) for rule, fails in failed))
    message = F.coalesce(
        *(F.when(fails, F.lit(f"implausible ({rule.name}): {rule.message}")) for rule, fails in failed)
    )
    return name, message
