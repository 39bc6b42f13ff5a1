"""What a parsed query asks of the index's words: for each term, the expressions whose resources
catalogue.search.words finds (in memory, the same on both engines), and the points of each field.

An expression names lexemes made by catalogue.search.analysis (letters, digits, ``_``) and the
fields they count in; user input never becomes query syntax of either engine, since no engine is
asked to match text. Everything else (every term together, relevance, the order of a page) is worked
out from the expressions' sets in catalogue.search.listing.

Relevance comes from the fields each term matches, not from BM25 or ts_rank. Per term: a match in
the name counts 4 and the exact word in the name 2 more (name matches come first); a match in
vendor, kind or tags 2; in subjects, levels or platforms 1; in the description 1. Ties go by name,
then id."""

from __future__ import annotations

from catalogue.search.analysis import Term
from catalogue.search.words import ALL_FIELDS, FIELD_INDEX, Expression, Words

# (check, field, points); "name_exact" is the term's own stem, the others any of its alternatives
CHECKS = (("name_any", "name", 4), ("name_exact", "name", 2), ("meta_any", "meta", 2),
          ("taxonomy_any", "taxonomy", 1), ("body_any", "body", 1))
NAME = (FIELD_INDEX["name"],)


def _alternatives(term: Term, check: str | None = None) -> tuple[tuple[str, bool], ...]:
    """(lexeme, is_prefix) pairs that match ``term``; typo alternatives only count in names."""
    if check == "name_exact":
        return ((term.stem, False),)
    pairs = [(x, True) for x in term.prefixes] + [(x, False) for x in term.exact if x not in term.prefixes]
    if check == "name_any":
        pairs += [(x, False) for x in term.fuzzy_names]
    return tuple(pairs)


def anywhere(term: Term) -> Expression:
    """The term in any field (typo alternatives in the name only)."""
    clauses = [(ALL_FIELDS, _alternatives(term))]
    if term.fuzzy_names:
        clauses.append((NAME, tuple((x, False) for x in term.fuzzy_names)))
    return tuple(clauses)


def in_field(term: Term, check: str, field: str) -> Expression:
    """The term in one field, as a relevance check counts it."""
    return (((FIELD_INDEX[field],), _alternatives(term, check)),)


def any_of(lexemes: list[str] | str, field: str | None = None) -> Expression:
    """Any of these exact lexemes, in any field or in ``field``."""
    lexemes = [lexemes] if isinstance(lexemes, str) else lexemes
    return (((FIELD_INDEX[field],) if field else ALL_FIELDS, tuple((x, False) for x in lexemes)),)


def term_sets(words: Words, term: Term) -> tuple[int, list[tuple[int, int]]]:
    """The resources matching ``term`` anywhere (as ``anywhere`` asks), and the bitset and points of
    each of its relevance CHECKS (as ``in_field`` asks), from one look-up of its lexemes per field."""
    fields = words.by_field(_alternatives(term))
    if term.fuzzy_names:
        fields[FIELD_INDEX["name"]] |= words.by_field(tuple((x, False) for x in term.fuzzy_names), NAME)[0]
    everywhere = 0
    for bits in fields:
        everywhere |= bits
    checks = [(words.by_field(_alternatives(term, check), NAME)[0] if check == "name_exact"
               else fields[FIELD_INDEX[field]], points) for check, field, points in CHECKS]
    return everywhere, checks
