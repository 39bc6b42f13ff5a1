"""How a parsed query is said to each engine: FTS5 MATCH expressions for SQLite, tsquery text
for PostgreSQL. Both receive only lexemes made by catalogue.search.analysis (letters, digits,
``_``), always quoted, so user input never becomes query syntax.

Each engine is asked one thing only: the ids of the resources whose text (or one field of it)
matches an expression, as one comma-separated string (``IDS_SQL``; ``IDS_AMONG_SQL`` asks only
about some resources, given as a JSON array). Everything else (every term together,
relevance, the order of a page) is worked out from those sets in catalogue.search.listing, the same
way on both engines, so both give the same results in the same order.

Relevance comes from the fields each term matches, not from BM25 or ts_rank (whose numbers differ
between the engines). Per term: a match in the name counts 4 and the exact word in the name 2 more
(name matches come first); a match in vendor, kind or tags 2; in subjects, levels or platforms 1; in
the description 1. Ties go by name, then id."""

from __future__ import annotations

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

    IDS_SQL = "SELECT group_concat(rowid) AS ids FROM resource_fts WHERE resource_fts MATCH {}"
    # one of several expressions asked in one statement (… UNION ALL …): its number and its ids
    MANY_PART_SQL = "SELECT {} AS k, (SELECT group_concat(rowid) FROM resource_fts WHERE resource_fts MATCH {}) AS ids"
    IDS_AMONG_SQL = IDS_SQL + " AND rowid IN (SELECT value FROM json_each({}))"

    @staticmethod
    def _phrase(pairs: list[tuple[str, bool]]) -> str:
        return "(" + " OR ".join(f'"{x}"' + ("*" if prefix else "") for x, prefix in pairs) + ")"

    def anywhere(self, term: Term) -> str:
        """The term in any field (typo alternatives in the name only)."""
        expression = self._phrase(_alternatives(term))
        if term.fuzzy_names:
            expression = f"({expression} OR {{name}} : {self._phrase([(x, False) for x in term.fuzzy_names])})"
        return expression

    def in_field(self, term: Term, check: str, field: str) -> str:
        """The term in one field, as a relevance check counts it."""
        return f"{{{field}}} : " + self._phrase(_alternatives(term, check))

    def any_of(self, lexemes: list[str] | str, field: str | None = None) -> str:
        """Any of these exact lexemes, in any field or in ``field``."""
        lexemes = [lexemes] if isinstance(lexemes, str) else lexemes
        return (f"{{{field}}} : " if field else "") + self._phrase([(x, False) for x in lexemes])


class PostgresDialect:
    """PostgreSQL: ``resource_search.document``, a tsvector with a GIN index (weights = fields)."""

    IDS_SQL = "SELECT string_agg(resource::text, ',') AS ids FROM resource_search WHERE document @@ {}::tsquery"
    MANY_PART_SQL = ("SELECT {}::int AS k, (SELECT string_agg(resource::text, ',') FROM resource_search"
                     " WHERE document @@ {}::tsquery) AS ids")
    IDS_AMONG_SQL = IDS_SQL + " AND resource = ANY(ARRAY(SELECT json_array_elements_text({}::json)::int))"

    @staticmethod
    def _query(pairs: list[tuple[str, bool]], weight: str = "") -> str:
        def one(lexeme: str, prefix: bool) -> str:
            flags = ("*" if prefix else "") + weight
            return f"'{lexeme}'" + (f":{flags}" if flags else "")

        return "(" + " | ".join(one(x, prefix) for x, prefix in pairs) + ")"

    def anywhere(self, term: Term) -> str:
        """The term in any field (typo alternatives in the name only)."""
        expression = self._query(_alternatives(term))
        if term.fuzzy_names:
            expression = f"({expression} | {self._query([(x, False) for x in term.fuzzy_names], 'A')})"
        return expression

    def in_field(self, term: Term, check: str, field: str) -> str:
        """The term in one field, as a relevance check counts it."""
        return self._query(_alternatives(term, check), WEIGHTS[field])

    def any_of(self, lexemes: list[str] | str, field: str | None = None) -> str:
        """Any of these exact lexemes, in any field or in ``field``."""
        lexemes = [lexemes] if isinstance(lexemes, str) else lexemes
        return self._query([(x, False) for x in lexemes], WEIGHTS[field] if field else "")
