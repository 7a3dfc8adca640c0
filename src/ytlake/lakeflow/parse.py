"""Split a Lakeflow dataset definition into its header and its query.

SQLGlot cannot parse ``CREATE OR REFRESH MATERIALIZED VIEW`` or ``CONSTRAINT ... EXPECT``,
so the header (name, expectations, comment, properties) is read here from SQLGlot's tokens,
and SQLGlot gets only the query.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlglot import exp
from sqlglot.dialects.databricks import Databricks
from sqlglot.tokens import Token, TokenType

from ytlake.lakehouse.translate import parse_static

_DIALECT = Databricks()


class LakeflowParseError(ValueError):
    pass


@dataclass(frozen=True)
class Expectation:
    name: str
    condition: str  # Databricks SQL boolean expression
    action: str  # WARN, DROP ROW, FAIL UPDATE


@dataclass
class Dataset:
    name: str
    kind: str  # MATERIALIZED VIEW | STREAMING TABLE | TEMPORARY VIEW
    query: str
    comment: str | None = None
    expectations: list[Expectation] = field(default_factory=list)
    properties: dict[str, str] = field(default_factory=dict)
    skipped_clauses: list[str] = field(default_factory=list)
    path: Path | None = None

    @property
    def query_tree(self) -> exp.Expression:
        return parse_static(self.query)

    def streams(self) -> list[str]:
        """The tables a streaming table reads as ``STREAM(name)``: each row processed once."""
        out = []
        for stream in self.query_tree.find_all(exp.Stream):
            table = stream.find(exp.Table)
            if table is not None:
                out.append(".".join(p for p in (table.catalog, table.db, table.name) if p))
        return sorted(set(out))

    def references(self) -> set[str]:
        """Names of the tables and views the query reads (CTE names excluded)."""
        tree = self.query_tree
        ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
        refs = set()
        for table in tree.find_all(exp.Table):
            name = ".".join(p for p in (table.catalog, table.db, table.name) if p)
            if name and name not in ctes:
                refs.add(name)
        return refs


def _text(sql: str, tokens: list[Token], start: int, end: int) -> str:
    """The source text from token ``start`` to token ``end`` inclusive."""
    return sql[tokens[start].start : tokens[end].end + 1]


def _matching_paren(tokens: list[Token], i: int) -> int:
    depth = 0
    for j in range(i, len(tokens)):
        if tokens[j].token_type == TokenType.L_PAREN:
            depth += 1
        elif tokens[j].token_type == TokenType.R_PAREN:
            depth -= 1
            if depth == 0:
                return j
    raise LakeflowParseError("unbalanced parentheses in the dataset header")


def _split_top_level(tokens: list[Token], start: int, end: int) -> list[tuple[int, int]]:
    """Comma-separated items between token indexes start..end (exclusive of end)."""
    items, depth, first = [], 0, start
    for j in range(start, end):
        t = tokens[j].token_type
        if t == TokenType.L_PAREN:
            depth += 1
        elif t == TokenType.R_PAREN:
            depth -= 1
        elif t == TokenType.COMMA and depth == 0:
            items.append((first, j - 1))
            first = j + 1
    if first < end:
        items.append((first, end - 1))
    return items


def parse_dataset(sql: str, path: Path | None = None) -> Dataset:
    """Parse one ``CREATE [OR REFRESH] {MATERIALIZED VIEW|STREAMING TABLE}`` or ``CREATE
    TEMPORARY VIEW`` definition (a view private to the pipeline: not materialized, no
    expectations)."""
    sql = sql.strip().rstrip(";").strip()
    tokens = _DIALECT.tokenize(sql)
    words = [t.text.upper() for t in tokens]
    where = f"{path.name}: " if path else ""
    i = 0
    if words[:1] != ["CREATE"]:
        raise LakeflowParseError(f"{where}a dataset starts with CREATE")
    i = 1
    skipped = []
    if words[i : i + 2] == ["OR", "REFRESH"]:
        skipped.append("OR REFRESH")
        i += 2
    if words[i : i + 2] == ["TEMPORARY", "VIEW"] and not skipped:
        kind = "TEMPORARY VIEW"
        i += 2
    elif words[i] in ("PRIVATE", "TEMPORARY", "LIVE"):
        raise LakeflowParseError(
            f"{where}{words[i]} datasets are not supported locally (use CREATE TEMPORARY VIEW)"
        )
    elif words[i : i + 2] == ["MATERIALIZED", "VIEW"]:
        kind = "MATERIALIZED VIEW"
        i += 2
    elif words[i : i + 2] == ["STREAMING", "TABLE"]:
        kind = "STREAMING TABLE"
        i += 2
    else:
        raise LakeflowParseError(
            f"{where}expected MATERIALIZED VIEW, STREAMING TABLE or TEMPORARY VIEW after CREATE"
        )
    # dataset name (possibly dotted)
    name_start = i
    while i + 1 < len(tokens) and tokens[i + 1].token_type == TokenType.DOT:
        i += 2
    name = _text(sql, tokens, name_start, i).replace("`", "")
    i += 1
    ds = Dataset(name=name, kind=kind, query="", path=path, skipped_clauses=skipped)
    # optional column list / constraints
    if i < len(tokens) and tokens[i].token_type == TokenType.L_PAREN:
        close = _matching_paren(tokens, i)
        for a, b in _split_top_level(tokens, i + 1, close):
            if words[a] == "CONSTRAINT":
                ds.expectations.append(_expectation(sql, tokens, words, a, b, where))
            else:
                ds.skipped_clauses.append("column definition: " + _text(sql, tokens, a, b))
        i = close + 1
    # clauses until AS
    while i < len(tokens) and words[i] != "AS":
        word = words[i]
        if word == "COMMENT":
            ds.comment = tokens[i + 1].text
            i += 2
        elif word == "TBLPROPERTIES":
            close = _matching_paren(tokens, i + 1)
            for a, b in _split_top_level(tokens, i + 2, close):
                key, value = tokens[a].text, tokens[b].text
                ds.properties[key] = value
            i = close + 1
        elif word in ("PARTITIONED", "CLUSTER"):
            close = _matching_paren(tokens, i + 2)
            ds.skipped_clauses.append(_text(sql, tokens, i, close))
            i = close + 1
        elif word == "USING":
            ds.skipped_clauses.append(_text(sql, tokens, i, i + 1))
            i += 2
        else:
            raise LakeflowParseError(f"{where}unsupported clause {tokens[i].text!r} in the dataset header")
    if i >= len(tokens):
        raise LakeflowParseError(f"{where}missing AS <query>")
    if kind == "STREAMING TABLE" and "STREAM" not in words[i:]:
        raise LakeflowParseError(f"{where}a STREAMING TABLE reads its source as STREAM(<table>)")
    if kind == "TEMPORARY VIEW" and ds.expectations:
        raise LakeflowParseError(f"{where}a TEMPORARY VIEW has no expectations; put them on a table it reads")
    ds.query = sql[tokens[i].end + 1 :].strip()
    try:
        ds.query_tree  # noqa: B018 - parse now, fail early with the file's name
    except Exception as err:
        raise LakeflowParseError(f"{where}the query does not parse: {err}") from None
    return ds


def _expectation(sql: str, tokens: list[Token], words: list[str], a: int, b: int, where: str) -> Expectation:
    # CONSTRAINT name EXPECT ( condition ) [ON VIOLATION {DROP ROW | FAIL UPDATE}]
    if b < a + 3 or words[a + 2] != "EXPECT" or tokens[a + 3].token_type != TokenType.L_PAREN:
        raise LakeflowParseError(f"{where}malformed expectation: {_text(sql, tokens, a, b)}")
    close = _matching_paren(tokens, a + 3)
    condition = _text(sql, tokens, a + 4, close - 1)
    rest = " ".join(words[close + 1 : b + 1])
    action = {"": "WARN", "ON VIOLATION DROP ROW": "DROP ROW", "ON VIOLATION FAIL UPDATE": "FAIL UPDATE"}.get(
        rest
    )
    if action is None:
        raise LakeflowParseError(f"{where}unknown ON VIOLATION action: {rest}")
    return Expectation(tokens[a + 1].text, condition, action)


def parse_file(path: Path) -> Dataset:
    return parse_dataset(path.read_text(encoding="utf-8"), path)
