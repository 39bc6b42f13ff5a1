"""How a parsed query is said to each engine: FTS5 MATCH expressions for SQLite, tsquery text
for PostgreSQL. Both receive only lexemes made by catalogue.search.analysis (letters, digits,
``_``), always quoted, so user input never becomes query syntax.

Relevance is computed the same way on both engines, from the fields each term matches, not from
BM25 or ts_rank (whose numbers differ between the engines). Per term: a match in the name counts 4
and the exact word in the name 2 more (name matches come first); a match in vendor, kind or tags 2;
in subjects, levels or platforms 1; in the description 1. Ties go by name, then id."""

from __future__ import annotations

import json

from catalogue.search.analysis import Term
from catalogue.search.sql import execute

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

    @staticmethod
    def _phrase(pairs: list[tuple[str, bool]]) -> str:
        return "(" + " OR ".join(f'"{x}"' + ("*" if prefix else "") for x, prefix in pairs) + ")"

    def term_anywhere(self, term: Term) -> str:
        expression = self._phrase(_alternatives(term))
        if term.fuzzy_names:
            expression = f"({expression} OR {{name}} : {self._phrase([(x, False) for x in term.fuzzy_names])})"
        return expression

    def matching_ids(self, terms: list[Term]) -> tuple[str, str]:
        """One row whose ``ids`` lists (comma-separated) the resources matching every term."""
        return ("SELECT group_concat(rowid) AS ids FROM resource_fts WHERE resource_fts MATCH {}",
                " AND ".join(self.term_anywhere(t) for t in terms))

    async def scores(self, terms: list[Term], ids: list[int]) -> dict[int, int]:
        """Relevance of ``ids``: per term and check, the hits among ``ids`` whose field matches, in
        one statement (FTS5 lists a field's matches fast, but cannot test one row's field cheaply)."""
        parts, args, points = [], [], []
        for term in terms:
            for check, field, value in CHECKS:
                parts.append(f"SELECT {len(parts)} AS k, group_concat(rowid) AS ids FROM resource_fts"
                             # +rowid: filter the matches, rather than re-running the MATCH per hit
                             " WHERE resource_fts MATCH {} AND +rowid IN hits")
                args.append(f"{{{field}}} : " + self._phrase(_alternatives(term, check)))
                points.append(value)
        rows = await execute("WITH hits(id) AS MATERIALIZED (SELECT value FROM json_each({})) "
                             + " UNION ALL ".join(parts), json.dumps(ids), *args)
        score = dict.fromkeys(ids, 0)
        for row in rows:
            if row["ids"]:
                worth = points[row["k"]]
                for i in map(int, row["ids"].split(",")):
                    score[i] += worth
        return score


class PostgresDialect:
    """PostgreSQL: ``resource_search.document``, a tsvector with a GIN index (weights = fields)."""


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

    def matching_ids(self, terms: list[Term]) -> tuple[str, str]:
        """One row whose ``ids`` lists (comma-separated) the resources matching every term."""
        return ("SELECT string_agg(resource::text, ',') AS ids FROM resource_search WHERE document @@ {}::tsquery",
                " & ".join(self.term_anywhere(t) for t in terms))

    async def scores(self, terms: list[Term], ids: list[int]) -> dict[int, int]:
        """Relevance of ``ids``, tested on each one's tsvector (only the hits are read)."""
        parts, args = [], []
        for term in terms:
            for check, field, points in CHECKS:
                parts.append(f"(CASE WHEN s.document @@ {{}}::tsquery THEN {points} ELSE 0 END)")
                args.append(self._query(_alternatives(term, check), WEIGHTS[field]))
        rows = await execute(f"SELECT s.resource AS id, {' + '.join(parts)} AS score FROM resource_search s"
                             " WHERE s.resource = ANY({}::int[])", *args, ids)
        return {r["id"]: r["score"] for r in rows}
