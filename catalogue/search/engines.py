"""How a parsed query is said to each engine: FTS5 MATCH expressions for SQLite, tsquery text
for PostgreSQL. Both receive only lexemes made by catalogue.search.analysis (letters, digits,
``_``), always quoted, so user input never becomes query syntax.

Relevance is computed the same way on both engines, from the fields each term matches, not from
BM25 or ts_rank (whose numbers differ between the engines). Per term: a match in the name counts 4
and the exact word in the name 2 more (name matches come first); a match in vendor, kind or tags 2;
in subjects, levels or platforms 1; in the description 1. Ties go by name, then id."""

from __future__ import annotations

from typing import Any

from catalogue.search.analysis import Term

# (check, field, points); "name_exact" is the term's own stem, the others any of its alternatives
CHECKS = (("name_any", "name", 4), ("name_exact", "name", 2), ("meta_any", "meta", 2),
          ("taxonomy_any", "taxonomy", 1), ("body_any", "body", 1))
WEIGHTS = {"name": "A", "meta": "B", "taxonomy": "C", "body": "D"}


def _alternatives(term: Term, check: str | None = None) -> list[tuple[str, bool]]:
    """(lexeme, is_prefix) pairs that match ``term``; typo alternatives only count in names."""
    if check == "name_exact":
        return [(term.stem, False)]
    pairs = [(x, True) for x in term.prefixes] + [(x, False) for x in term.exact if x not in term.prefixes]
    if check == "name_any":
        pairs += [(x, False) for x in term.fuzzy_names]
    return pairs


class SqliteDialect:
    """SQLite: FTS5 table ``resource_fts`` (columns name, meta, taxonomy, body; rowid = resource id)."""

    join = "LEFT JOIN resource_search s ON s.resource = r.id"
    name_order = "COALESCE(s.name_key, LOWER(r.name))"

    @staticmethod
    def _phrase(pairs: list[tuple[str, bool]]) -> str:
        return "(" + " OR ".join(f'"{x}"' + ("*" if prefix else "") for x, prefix in pairs) + ")"

    def term_anywhere(self, term: Term) -> str:
        expression = self._phrase(_alternatives(term))
        if term.fuzzy_names:
            expression = f"({expression} OR {{name}} : {self._phrase([(x, False) for x in term.fuzzy_names])})"
        return expression

    def match(self, terms: list[Term]) -> tuple[str, list[Any]]:
        expression = " AND ".join(self.term_anywhere(t) for t in terms)
        return "r.id IN (SELECT rowid FROM resource_fts WHERE resource_fts MATCH {})", [expression]

    def score(self, terms: list[Term]) -> tuple[str, list[Any]]:
        # each subquery is independent of the row, so SQLite evaluates it once per statement
        parts, args = [], []
        for term in terms:
            for check, field, points in CHECKS:
                parts.append("(CASE WHEN r.id IN (SELECT rowid FROM resource_fts WHERE resource_fts MATCH {})"
                             f" THEN {points} ELSE 0 END)")
                args.append(f"{{{field}}} : " + self._phrase(_alternatives(term, check)))
        return " + ".join(parts), args


class PostgresDialect:
    """PostgreSQL: ``resource_search.document``, a tsvector with a GIN index (weights = fields)."""

    join = "LEFT JOIN resource_search s ON s.resource = r.id"
    name_order = 'COALESCE(s.name_key, LOWER(r.name)) COLLATE "C"'

    @staticmethod
    def _query(pairs: list[tuple[str, bool]], weight: str = "") -> str:
        def one(lexeme: str, prefix: bool) -> str:
            flags = ("*" if prefix else "") + weight
            return f"'{lexeme}'" + (f":{flags}" if flags else "")

        return "(" + " | ".join(one(x, prefix) for x, prefix in pairs) + ")"

    def term_anywhere(self, term: Term) -> str:
        expression = self._query(_alternatives(term))
        if term.fuzzy_names:
            expression = f"({expression} | {self._query([(x, False) for x in term.fuzzy_names], 'A')})"
        return expression

    def match(self, terms: list[Term]) -> tuple[str, list[Any]]:
        expression = " & ".join(self.term_anywhere(t) for t in terms)
        return "s.document @@ {}::tsquery", [expression]

    def score(self, terms: list[Term]) -> tuple[str, list[Any]]:
        parts, args = [], []
        for term in terms:
            for check, field, points in CHECKS:
                parts.append(f"(CASE WHEN s.document @@ {{}}::tsquery THEN {points} ELSE 0 END)")
                args.append(self._query(_alternatives(term, check), WEIGHTS[field]))
        return " + ".join(parts), args
