#!/usr/bin/env python3
"""Write (or check) the terraform-docs style tables in every module's README.md.

terraform-docs itself is a Go binary that no package registry we can reach ships,
so this renders the same markdown (Requirements, Modules, Resources, Inputs,
Outputs) between the <!-- BEGIN_TF_DOCS --> and <!-- END_TF_DOCS --> markers.

    scripts/tf-docs.py            rewrite the tables in place
    scripts/tf-docs.py --check    exit 1 if any README is out of date

The parser reads the blocks of this repository's own .tf files (terraform fmt
style): top-level `variable`, `output`, `resource`, `data` and `module` blocks, and
the attributes of a block at its first level.
"""

from __future__ import annotations

import argparse
import html
import re
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODULES = ROOT / "terraform" / "modules"
BEGIN, END = "<!-- BEGIN_TF_DOCS -->", "<!-- END_TF_DOCS -->"
BLOCK_RE = re.compile(r'^(variable|output|resource|data|module)\s+"([^"]+)"(?:\s+"([^"]+)")?\s*\{', re.M)


@dataclass
class Block:
    kind: str
    labels: tuple[str, ...]
    body: str


def _matching_brace(text: str, start: int) -> int:
    """Index of the brace closing the one at text[start], skipping strings and comments."""
    depth, i, n = 0, start, len(text)
    while i < n:
        c = text[i]
        if c == '"':
            i += 1
            while i < n and text[i] != '"':
                i += 2 if text[i] == "\\" else 1
        elif c == "#" or text.startswith("//", i):
            i = text.find("\n", i)
            if i < 0:
                break
        elif text.startswith("<<", i):
            m = re.match(r"<<-?(\w+)\n", text[i:])
            if m:
                end = re.search(rf"^\s*{m.group(1)}\s*$", text[i + m.end() :], re.M)
                i = i + m.end() + (end.end() if end else 0)
                continue
        elif c in "{[(":
            depth += 1
        elif c in "}])":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    raise ValueError("unbalanced braces")


def blocks(path: Path) -> list[Block]:
    text = path.read_text(encoding="utf-8")
    out = []
    for m in BLOCK_RE.finditer(text):
        open_at = m.end() - 1
        close_at = _matching_brace(text, open_at)
        labels = tuple(x for x in m.groups()[1:] if x)
        out.append(Block(m.group(1), labels, text[open_at + 1 : close_at]))
    return out


def attributes(body: str) -> dict[str, str]:
    """First-level `name = value` attributes of a block body (values may span lines)."""
    attrs: dict[str, str] = {}
    i, n = 0, len(body)
    while i < n:
        m = re.compile(r"[ \t]*([A-Za-z_][A-Za-z0-9_]*)[ \t]*(=|\{)").match(body, i)
        if not m:
            nl = body.find("\n", i)
            i = n if nl < 0 else nl + 1
            continue
        if m.group(2) == "{":  # nested block: skip it
            i = _matching_brace(body, m.end() - 1) + 1
            continue
        j = m.end()
        while j < n and body[j] in " \t":
            j += 1
        k = j
        while k < n and body[k] != "\n":
            if body[k] in "{[(":
                k = _matching_brace(body, k) + 1
            elif body[k] == '"':
                k += 1
                while k < n and body[k] != '"':
                    k += 2 if body[k] == "\\" else 1
                k += 1
            else:
                k += 1
        attrs[m.group(1)] = body[j:k].strip()
        i = k + 1
    return attrs


def unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    return value


def escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def prose(text: str) -> str:
    """Table cell text: HTML-escaped so <zone>_uri shows as written."""
    return escape(html.escape(text, quote=False))


def code(value: str) -> str:
    if "\n" in value:
        lines = [ln.rstrip() for ln in value.splitlines()]
        indent = min((len(ln) - len(ln.lstrip()) for ln in lines[1:] if ln.strip()), default=0)
        flat = [lines[0]] + [ln[max(indent - 2, 0) :] for ln in lines[1:]]
        return "<pre>" + "<br/>".join(prose(ln).replace(" ", "&nbsp;") for ln in flat) + "</pre>"
    return f"`{escape(value)}`"


def anchor(prefix: str, name: str) -> str:
    escaped = name.replace("_", "\\_")
    return f'<a name="{prefix}_{name}"></a> [{name}](#{prefix}\\_{escaped})'


def render(module: Path) -> str:
    all_blocks = [b for f in sorted(module.glob("*.tf")) for b in blocks(f)]
    versions = (module / "versions.tf").read_text(encoding="utf-8")
    lines = ["## Requirements", "", "| Name | Version |", "|------|---------|"]
    tf_version = re.search(r'required_version\s*=\s*"([^"]+)"', versions)
    lines.append(f"| {anchor('requirement', 'terraform')} | {tf_version.group(1) if tf_version else 'n/a'} |")
    for name, version in re.findall(
        r'(\w+)\s*=\s*\{\s*source\s*=\s*"[^"]+"\s*version\s*=\s*"([^"]+)"', versions, re.S
    ):
        lines.append(f"| {anchor('requirement', name)} | {version} |")

    mods = [b for b in all_blocks if b.kind == "module"]
    lines += ["", "## Modules", ""]
    if mods:
        lines += ["| Name | Source | Version |", "|------|--------|---------|"]
        for b in mods:
            lines.append(
                f"| {anchor('module', b.labels[0])} | {unquote(attributes(b.body)['source'])} | n/a |"
            )
    else:
        lines.append("No modules.")

    res = [b for b in all_blocks if b.kind in ("resource", "data")]
    lines += ["", "## Resources", ""]
    if res:
        lines += ["| Name | Type |", "|------|------|"]
        for b in sorted(res, key=lambda b: (b.labels[0], b.labels[1])):
            kind = "resources" if b.kind == "resource" else "data-sources"
            doc = b.labels[0].removeprefix("aws_")
            prefix = "data." if b.kind == "data" else ""
            url = f"https://registry.terraform.io/providers/hashicorp/aws/latest/docs/{kind}/{doc}"
            lines.append(
                f"| [{prefix}{b.labels[0]}.{b.labels[1]}]({url}) | {'resource' if b.kind == 'resource' else 'data source'} |"
            )
    else:
        lines.append("No resources.")

    lines += ["", "## Inputs", ""]
    variables = [b for b in all_blocks if b.kind == "variable"]
    if variables:
        lines += [
            "| Name | Description | Type | Default | Required |",
            "|------|-------------|------|---------|:--------:|",
        ]
        for b in sorted(variables, key=lambda b: ("default" in attributes(b.body), b.labels[0])):
            a = attributes(b.body)
            default = a.get("default")
            lines.append(
                f"| {anchor('input', b.labels[0])} | {prose(unquote(a.get('description', '')))} | {code(a.get('type', 'any'))} "
                f"| {code(default) if default is not None else 'n/a'} | {'no' if default is not None else 'yes'} |"
            )
    else:
        lines.append("No inputs.")

    lines += ["", "## Outputs", ""]
    outputs = [b for b in all_blocks if b.kind == "output"]
    if outputs:
        lines += ["| Name | Description |", "|------|-------------|"]
        for b in sorted(outputs, key=lambda b: b.labels[0]):
            lines.append(
                f"| {anchor('output', b.labels[0])} | {prose(unquote(attributes(b.body).get('description', '')))} |"
            )
    else:
        lines.append("No outputs.")
    return "\n".join(lines)


def update(readme: Path, table: str) -> str:
    text = (
        readme.read_text(encoding="utf-8")
        if readme.exists()
        else f"# {readme.parent.name}\n\n{BEGIN}\n{END}\n"
    )
    if BEGIN not in text or END not in text:
        raise SystemExit(f"{readme}: missing {BEGIN} / {END} markers")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{BEGIN}\n{table}\n{END}{tail}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail instead of writing when a README is stale")
    args = parser.parse_args()
    stale = []
    for module in sorted(p for p in MODULES.iterdir() if (p / "main.tf").exists()):
        readme = module / "README.md"
        new = update(readme, render(module))
        old = readme.read_text(encoding="utf-8") if readme.exists() else ""
        if new != old:
            stale.append(readme.relative_to(ROOT))
            if not args.check:
                readme.write_text(new, encoding="utf-8")
    if stale:
        print(("stale: " if args.check else "updated: ") + ", ".join(map(str, stale)))
        return 1 if args.check else 0
    print("module READMEs up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
