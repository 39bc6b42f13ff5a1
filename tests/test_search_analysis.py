"""The Norwegian text analysis that both engines share (no database needed)."""

from __future__ import annotations

import random
import re
import string

import pytest

from catalogue.search import analysis
from catalogue.search import engines
from catalogue.search.engines import CHECKS


@pytest.mark.parametrize("forms", [
    ["ressurs", "ressurser", "ressursen", "ressursene"],
    ["læringsressurs", "læringsressurser", "læringsressursene"],
    ["bok", "boka", "boken", "bøker", "bøkene"],
    ["ordbok", "ordbøker", "ordbøkene"],
    ["kurs", "kurset", "kursene"],
    ["oppgave", "oppgaver", "oppgavene"],
    ["mellomtrinn", "mellomtrinnet"],
    ["barnehage", "barnehagen", "barnehager", "barnehagene"],
])
def test_inflected_forms_meet_in_one_stem(forms):
    assert len({analysis.stem(analysis.normalise(f)) for f in forms}) == 1, [analysis.stem(f) for f in forms]


def test_normalisation_keeps_norwegian_letters_and_folds_other_accents():
    assert analysis.normalise("ÆRFUGL Ørret Åkeren") == "ærfugl ørret åkeren"
    assert analysis.normalise("idé café") == "ide cafe"
    assert analysis.normalise("Inläsningstjänst Öl") == "inlæsningstjænst øl"
    assert analysis.words("Språkkista på 20 språk") == ["språkkista", "20", "språk"]


def test_level_phrases_become_level_words():
    assert analysis.words("for 5. trinn") == ["trinn5"]
    assert analysis.words("1.–4. trinn") == ["trinn1", "trinn2", "trinn3", "trinn4"]
    assert analysis.words("8.-10.trinn og 3. klasse") == ["trinn8", "trinn9", "trinn10", "trinn3"]
    assert analysis.words("trinn 7") == ["trinn7"]


def test_coordinated_compounds_and_joined_words():
    assert "lesestøtte" in analysis.words("et lese- og skrivestøtteverktøy") or \
        "lesestøtteverktøy" in analysis.words("et lese- og skrivestøtteverktøy")
    assert "lesestøtte" in analysis.words("Lese- og skrivestøtte")
    assert "mellomtrinnet" in analysis.words("mellom- og ungdomstrinnet")
    assert analysis.words("micro:bit") == ["micro", "bit", "microbit"]
    assert analysis.words("e-bøker") == ["bøker", "ebøker"]


def test_stopwords_and_symbols_leave_no_terms():
    assert analysis.parse_query("og i på for hva har vi") == []
    assert [t.word for t in analysis.parse_query('"*:&|!() NEAR')] == ["near"]  # a word like any other


def test_the_last_word_is_a_prefix_and_compound_heads_are_reached():
    first, last = analysis.parse_query("ressurser kik")
    assert "_russer" in first.prefixes  # reversed: finds læringsressurser
    assert last.prefixes == ["kik"]
    assert analysis.parse_query("1. trinn")[0].prefixes == []  # trinn1 must not find trinn10


@pytest.mark.parametrize("a,b,expected", [
    ("kahoot", "kahot", True), ("kikora", "kikroa", True), ("polylino", "polilino", True),
    ("geogebra", "geogebraa", True), ("salaby", "salaby", True), ("kahoot", "kahooooot", False),
    ("abcde", "abxdf", False), ("scratch", "sctarch", False),
])
def test_one_edit(a, b, expected):
    assert analysis.within_one_edit(a, b) is expected
    assert analysis.within_one_edit(b, a) is expected


def test_words_one_edit_apart_always_share_a_deletion_key():
    rng = random.Random(5)
    letters = string.ascii_lowercase + "æøå"
    for _ in range(2000):
        word = "".join(rng.choice(letters) for _ in range(rng.randint(5, 12)))
        i = rng.randrange(len(word))
        edit = rng.choice(["sub", "ins", "del", "swap"])
        if edit == "sub":
            other = word[:i] + rng.choice(letters) + word[i + 1:]
        elif edit == "ins":
            other = word[:i] + rng.choice(letters) + word[i:]
        elif edit == "del":
            other = word[:i] + word[i + 1:]
        else:
            i = min(i, len(word) - 2)
            other = word[:i] + word[i + 1] + word[i] + word[i + 2:]
        if len(other) < analysis.MIN_FUZZY:
            continue
        assert analysis.within_one_edit(word, other)
        assert analysis.deletion_keys(word) & analysis.deletion_keys(other), (word, other)


HOSTILE = ['"', "*", "NEAR(a b)", "a:b", "x & y", "x | y", "!x", "(x)", "' OR 1=1 --", "'; DROP TABLE resource; --",
           "\\", "%_", "\x00", "😀 emoji", "AND OR NOT", "{name}: x", "x" * 1000, "æøå " * 300, "^$.*+?[]"]


@pytest.mark.parametrize("q", HOSTILE, ids=range(len(HOSTILE)))
def test_engine_queries_contain_only_lexemes(q):
    terms = analysis.parse_query(q)
    for term in terms:
        term.fuzzy_names = [term.stem]
        for lexeme in [*term.prefixes, *term.exact, *term.fuzzy_names]:
            assert re.fullmatch(r"_?[^\W_]+", lexeme), lexeme
    for term in terms:  # what the words in memory are asked: lexemes only, never query syntax
        for expression in [engines.anywhere(term)] + [engines.in_field(term, c, f) for c, f, _ in CHECKS]:
            for fields, pairs in expression:
                assert fields and all(0 <= f < 4 for f in fields)
                for lexeme, prefix in pairs:
                    assert re.fullmatch(r"_?[^\W_]+", lexeme) and isinstance(prefix, bool), lexeme


def test_name_key_sorts_norwegian_letters_after_z():
    names = ["Ål", "Zebra", "ørret", "Ærfugl", "apple", "Banan"]
    assert sorted(names, key=analysis.name_key) == ["apple", "Banan", "Zebra", "Ærfugl", "ørret", "Ål"]
