"""The index's words in memory (catalogue.search.words): a copy brought up to date with changed
documents answers every expression exactly as the words read afresh from the final documents."""

from __future__ import annotations

import random

import pytest

from catalogue.search.words import ALL_FIELDS, SPARSE, Words

VOCABULARY = ["matte", "matematikk", "matematikkspill", "lese", "lesing", "leseforståelse", "brøk", "brøkregning",
              "_kkitametam", "_llips", "spill", "koding", "programmering", "norsk", "engelsk", "øving"]


def _document(rng: random.Random) -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(dict.fromkeys(rng.sample(VOCABULARY, rng.randint(0, 6)))) for _ in range(4))


def _expressions() -> list:
    out = []
    for word in VOCABULARY:
        for prefix in (False, True):
            out.append(((ALL_FIELDS, ((word, prefix),)),))
            out += [(((field,), ((word, prefix),)),) for field in range(4)]
    out.append(((ALL_FIELDS, (("mat", True), ("les", True))), ((0,), (("brøk", False),))))
    out.append(((ALL_FIELDS, (("finnesikke", True),)),))
    return out


@pytest.mark.parametrize("seed", range(6))
def test_changed_words_answer_as_words_read_afresh(seed):
    rng = random.Random(seed)
    documents = {i: _document(rng) for i in rng.sample(range(1, 400), 150)}
    # one word in many documents, so that its resources are a bitset, not a tuple, from the start
    for i in list(documents)[:SPARSE + 10]:
        name, *rest = documents[i]
        documents[i] = (tuple(dict.fromkeys((*name, "kahoot"))), *rest)
    words = Words.of(documents)
    for _ in range(8):
        changes = {}
        for i in rng.sample(range(1, 420), 40):  # new, changed and removed resources
            changes[i] = None if rng.random() < 0.3 else _document(rng)
        words = words.changed(changes)
        for i, document in changes.items():
            if document is None:
                documents.pop(i, None)
            else:
                documents[i] = document
        fresh = Words.of(documents)
        for expression in _expressions() + [((ALL_FIELDS, (("kahoot", False),)),)]:
            assert words.matching(expression) == fresh.matching(expression), expression
        assert set(words.lexemes) >= set(fresh.lexemes)


def test_an_expression_matches_by_field_and_prefix():
    words = Words.of({3: (("matematikk",), ("spill",), (), ()), 9: ((), (), (), ("matte", "_kkitametam"))})
    assert words.matching(((ALL_FIELDS, (("mat", True),)),)) == (1 << 3) | (1 << 9)
    assert words.matching((((0,), (("mat", True),)),)) == 1 << 3
    assert words.matching((((0,), (("mat", False),)),)) == 0
    assert words.matching((((3,), (("_kkita", True),)),)) == 1 << 9
    assert words.matching(((ALL_FIELDS, (("spill", False),)),)) == 1 << 3
    assert words.changed({3: None}).matching(((ALL_FIELDS, (("mat", True),)),)) == 1 << 9


@pytest.mark.parametrize("seed", range(4))
def test_the_name_order_brought_up_to_date_is_the_order_sorted_afresh(seed):
    from catalogue.search.facets import Snapshot

    rng = random.Random(seed)
    names = ["Ål", "Zebra", "ørret", "Ærfugl", "apple", "Banan", "banan", "Kahoot"]
    snapshot = Snapshot(generation=1)
    snapshot.apply({i: ((("kind", "app"),), rng.choice(names)) for i in range(1, 60)}, [])
    order = snapshot.order()
    for generation in range(2, 8):
        changed = rng.sample(range(1, 80), 12)
        rows = {i: ((("kind", "app"),), rng.choice(names)) for i in changed[:8]}
        removed = [i for i in changed[8:] if i not in rows]
        snapshot.apply(rows, removed, order)
        order = snapshot.order()
        assert order == sorted(snapshot.name_keys, key=lambda i: (snapshot.name_keys[i], i))
        for size in (0, 1, 3, 10, 30, len(order)):  # a page of a set, however few or many it holds
            members = rng.sample(order, size)
            bits = sum(1 << i for i in members)
            for count in (1, 5, 20):
                first = [i for i in order if i in members][:count]
                assert snapshot.first_of_few_by_name(bits, count) == first, (size, count)
                assert snapshot.first_by_name(bits, count) == first, (size, count)


@pytest.mark.parametrize("seed", range(4))
def test_a_terms_sets_from_one_look_up_per_field_are_those_its_expressions_match(seed):
    """The search takes a term's match and its relevance checks from one look-up of its lexemes per
    field (engines.term_sets): the same resources as each expression asked on its own."""
    from catalogue.search import analysis, engines

    rng = random.Random(seed)
    documents = {i: _document(rng) for i in rng.sample(range(1, 400), 150)}
    for i in list(documents)[:SPARSE + 10]:  # a word common enough to be a bitset
        name, *rest = documents[i]
        documents[i] = (tuple(dict.fromkeys((*name, "matte"))), *rest)
    words = Words.of(documents)
    for q in ("matte", "mat", "lese spill", "brøkregning", "koding øving", "finnesikke"):
        for term in analysis.parse_query(q):
            term.fuzzy_names = rng.sample(["matematikk", "lesing", "norsk"], rng.randint(0, 2))
            everywhere, checks = engines.term_sets(words, term)
            assert everywhere == words.matching(engines.anywhere(term)), q
            assert checks == [(words.matching(engines.in_field(term, check, field)), points)
                              for check, field, points in engines.CHECKS], q


@pytest.mark.parametrize("seed", range(3))
def test_the_first_of_a_set_in_name_order_over_many_resources(seed):
    from catalogue.search.facets import Snapshot

    rng = random.Random(seed)
    snapshot = Snapshot(generation=1)
    ids = rng.sample(range(1, 5000), 1500)
    snapshot.apply({i: ((("kind", "app"),), f"{rng.choice('abcæøå')}{rng.randint(0, 99):02}") for i in ids}, [])
    order = snapshot.order()
    for size in (1, 19, 20, 21, 150, 700, 1500):
        members = set(rng.sample(ids, size))
        bits = sum(1 << i for i in members)
        for count in (1, 20, 60):
            first = [i for i in order if i in members][:count]
            assert snapshot.first_of_few_by_name(bits, count) == first, (size, count)
