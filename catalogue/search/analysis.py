"""Norwegian text analysis, written once and used for indexing and querying on both engines.

The engines never tokenise or stem anything themselves: this module turns text into lexemes, and
SQLite FTS5 (tokenizer ``ascii``, which splits on the spaces between our lexemes only) and
PostgreSQL (``tsvector`` literals, ``tsquery`` casts) store and match exactly those lexemes. That is
what makes one query give the same results on both.

A lexeme is a stemmed word (Norwegian snowball, with the known quirks repaired), a compound word's
head is reachable through a reversed copy of the lexeme (``_`` + reversed; a suffix search becomes a
prefix search), and level words become ``trinn5``-style lexemes."""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Iterable

import snowballstemmer

# Bump when the analysis changes: documents indexed before must be rebuilt (`catalogue search reindex`).
ANALYZER_VERSION = 2

MAX_QUERY_TERMS = 10  # words after the first ten are ignored: bounded work for any query
MIN_PREFIX = 2  # the last word is a prefix (search as you type) from this many letters
MIN_STEM_PREFIX = 5  # a stem this long also finds longer words it starts (compound modifiers)
MIN_SUFFIX = 4  # a stem this long also finds compounds it ends (compound heads)
MIN_REVERSED = 7  # lexemes this long get a reversed copy: a head of 4 after a modifier of 3
MIN_FUZZY = 5  # a word this long finds names with one wrong letter
REVERSED_MARK = "_"

# Norwegian (bokmål and nynorsk) function words, and the few English ones teachers type.
STOPWORDS = frozenset("""
alle at av bare begge ble blei bli blir blitt både båe da de deg dei deim deira deires dem den denne der
dere deres det dette di din disse ditt du dykk dykkar då eg ein eit eitt eller elles en enn er et ett
etter for fordi fra før ha hadde han hans har hennar henne hennes her hjå ho hoe honom hoss hossen
hun hva hvem hver hvilke hvilken hvis hvor hvordan hvorfor i ikke ikkje ingen ingi inkje inn inni ja
jeg kan kom korleis korso kun kunne kva kvar kvarhelst kven kvi kvifor man mange me med medan meg meget
mellom men mi min mine mitt mot mykje ned no noe noen noka noko nokon nokor nokre nå når og også om opp
oss over på samme sia sidan siden sin sine sitt sjøl skal skulle slik so som somme somt så sånn til
um upp ut uten var vart varte ved vere verte vi vil ville vore vors vort vår være vært å
the and of to in on with what we have do does is are a an
""".split())
# Words whose æ, ø or å typed as ae/oe/aa or a/o spells another real word are not made stop words.
_NOT_STOPWORDS_WHEN_FOLDED = frozenset({"vare", "bade", "bare", "sa", "ma", "sann"})


def _ascii_spellings(word: str) -> set[str]:
    """The ways ``word`` is typed on a keyboard without æ, ø and å (på → pa, paa)."""
    spellings = {""}
    for char in word:
        options = {"æ": ("ae", "a", "e"), "ø": ("oe", "o"), "å": ("aa", "a")}.get(char, (char,))
        spellings = {s + o for s in spellings for o in options}
    return spellings - {word}


STOPWORDS = STOPWORDS | frozenset(
    s for w in STOPWORDS if not w.isascii() for s in _ascii_spellings(w) if s not in _NOT_STOPWORDS_WHEN_FOLDED)
# Levels the catalogue does not cover: these words are left out of the query, and the answer says why.
UNCOVERED_LEVEL_WORDS = frozenset({"vgs", "vgo", "vg1", "vg2", "vg3", "videregående", "videregaende",
                                   "videregåande", "vidaregåande", "vidaregaande", "vidergående", "videregående"})

# Words for levels and bands: a resource for trinn 5 is found by "mellomtrinnet" and "5. trinn".
BAND_WORDS = {
    "barnehage": "barnehage førskole småbarn",
    "1-4": "småtrinnet småskoletrinnet barnetrinnet barneskole",
    "5-7": "mellomtrinnet barnetrinnet barneskole",
    "8-10": "ungdomstrinnet ungdomsskole",
}
# Everyday names of subjects, besides the subject's own name.
SUBJECT_ALIASES = {
    "MAT": "matte regning",
    "KRLE": "krle rle religion",
    "KRO": "gym",
    "KHV": "kunst håndverk formgiving",
    "MHE": "heimkunnskap",
    "FSP": "språk",
    "NOR": "lesing skriving",
}

_stemmer = snowballstemmer.stemmer("norwegian")
_FOLD = str.maketrans({"ä": "æ", "ö": "ø"})  # Swedish and German spellings of æ and ø
_WORD = re.compile(r"[^\W_]+(?:[-.:'’/][^\W_]+)*")
_JOINERS = re.compile(r"[-.:'’/]")
_LEVEL_RANGE = re.compile(r"\b(\d{1,2})\s*\.?\s*[-–—]\s*(\d{1,2})\s*\.?\s*(?:klasse)?trinn\w*")
_LEVEL_ONE = re.compile(r"\b(\d{1,2})\s*\.?\s*(?:klasse)?trinn\w*|\btrinn\s*(\d{1,2})\b|\b(\d{1,2})\s*\.\s*klasse\w*")
_LEVEL_LEXEME = re.compile(r"trinn\d+")
_COORDINATION = re.compile(r"\b([^\W\d_]{2,})-\s*(?:,|og|eller)\s+([^\W\d_]{7,})")


def normalise(text: str) -> str:
    """Lower-case, compatibility-normalised text; æ, ø and å stay letters, other accents go
    (idé = ide), and ä/ö are read as æ/ø."""
    text = unicodedata.normalize("NFKC", text).casefold().translate(_FOLD)
    if text.isascii():
        return text
    return _ACCENTED.sub(_unaccent, text)


_ACCENTED = re.compile(r"[^\x00-\x7fæøå]")


@lru_cache(maxsize=4096)
def _unaccented(char: str) -> str:
    return unicodedata.normalize("NFC", "".join(c for c in unicodedata.normalize("NFD", char)
                                                if not unicodedata.combining(c)))


def _unaccent(match: re.Match) -> str:
    return _unaccented(match.group(0))


@lru_cache(maxsize=131072)
def stem(word: str) -> str:
    """The snowball stem of a normalised word, with the stemmer's quirks repaired so that
    inflected forms meet: "ressurs" (→ ressur) and "ressurser" (→ ressurs) both become "ressur",
    and "bøker" meets "bok"."""
    if not word.isalpha():
        return word  # codes, numbers and trinn lexemes are kept as they are
    result = _stemmer.stemWord(word)
    # The s-ending rule removes a final s from the base form but not from the stem left by a
    # plural or definite ending: stem once more where that is what happened.
    if result.endswith("s") and len(result) > 3 and _stemmer.stemWord(result) == result[:-1]:
        result = result[:-1]
    if result.endswith("bøk"):  # bok, bøker, bøkene (ordbok, lydbøker, e-bøker)
        result = result[:-3] + "bok"
    return result


def _levels(match: re.Match) -> str:
    numbers = [int(g) for g in match.groups() if g]
    if len(numbers) == 2 and 1 <= numbers[0] <= numbers[1] <= 10:
        return " " + " ".join(f"trinn{n}" for n in range(numbers[0], numbers[1] + 1)) + " "
    if len(numbers) == 1 and 1 <= numbers[0] <= 10:
        return f" trinn{numbers[0]} "
    return " "


def _coordinated(text: str) -> list[str]:
    """"lese- og skrivestøtte" also means "lesestøtte": join the first word to the plausible
    head of the second (after a linking e or s, with at least four letters left)."""
    extra = []
    for match in _COORDINATION.finditer(text):
        modifier, compound = match.group(1), match.group(2)
        # the first such cut: the replaced word is the compound's first element
        cut = next((c for c in range(3, len(compound) - 3) if compound[c - 1] in "es"), None)
        if cut is not None:
            extra.append(modifier + compound[cut:])
    return extra


def words(text: str, query: bool = False) -> list[str]:
    """The normalised words of ``text``, without stopwords, in order: level phrases become
    ``trinnN``, joined words (e-bok, micro:bit) give their parts and the joined form (in a
    ``query``, words joined by a hyphen give their parts only: "lese-og" is "lese og")."""
    text = normalise(text)
    text = _LEVEL_RANGE.sub(_levels, text)
    text = _LEVEL_ONE.sub(_levels, text)
    out: list[str] = []
    for token in _WORD.findall(text):
        if not token.isalnum():  # joined: e-bok, micro:bit
            parts = [p for p in _JOINERS.split(token) if p]
            out.extend(p for p in parts if _keep(p))
            if query and "-" in token:
                continue
            token = "".join(parts)
        if _keep(token):
            out.append(token)
    if "-" in text:
        out.extend(_coordinated(text))
    return out


def _keep(word: str) -> bool:
    # Words over 60 letters are noise, and PostgreSQL refuses lexemes over 2 kB.
    return (1 < len(word) <= 60 or word.isdigit() and len(word) == 1) and word not in STOPWORDS


def lexemes(text: str) -> list[str]:
    """Distinct lexemes of ``text`` for the index, in first-seen order."""
    return list(dict.fromkeys(stem(w) for w in words(text)))


def reversed_lexeme(lexeme: str) -> str:
    return REVERSED_MARK + lexeme[::-1]


def with_reversed(lexemes_: Iterable[str]) -> list[str]:
    """The lexemes plus reversed copies of the long alphabetic ones, so that a compound's head
    (læringsressurs → ressurs) is found with a prefix search on the reversed form."""
    out = list(lexemes_)
    out.extend(reversed_lexeme(x) for x in out if len(x) >= MIN_REVERSED and x.isalpha())
    return list(dict.fromkeys(out))


# --- names: sorting and typo tolerance -----------------------------------------------------

_SORT = str.maketrans({"æ": "{", "ø": "|", "å": "}"})  # after z, in the order æ, ø, å


def name_key(name: str) -> str:
    """Sort key of a name, the same on both engines (compared byte-wise): case-insensitive,
    æ, ø, å after z."""
    return normalise(name).strip().translate(_SORT)


def name_words(name: str) -> list[str]:
    """Words of a name that typo tolerance applies to, with their lexemes."""
    return [w for w in dict.fromkeys(words(name)) if w.isalpha() and len(w) >= MIN_FUZZY - 1]


def deletion_keys(word: str) -> set[str]:
    """The word and every form of it with one letter removed: two words within one edit of each
    other always share one of these keys (a symmetric-deletion index)."""
    keys = {word}
    if len(word) >= MIN_FUZZY:
        keys.update(word[:i] + word[i + 1:] for i in range(len(word)))
    return keys


def within_one_edit(a: str, b: str) -> bool:
    """True when a and b differ by at most one substitution, insertion, deletion or swap of two
    neighbouring letters."""
    if a == b:
        return True
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    if la == lb:
        diff = [i for i in range(la) if a[i] != b[i]]
        if len(diff) == 1:
            return True
        return len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]
    if la > lb:
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    return a[i:] == b[i + 1:]


# --- queries -------------------------------------------------------------------------------


@dataclass
class Term:
    """One query word: its stem, and the alternatives that may match it."""

    word: str
    stem: str
    prefixes: list[str] = field(default_factory=list)  # lexemes starting with one of these match
    exact: list[str] = field(default_factory=list)  # lexemes equal to one of these match
    fuzzy_names: list[str] = field(default_factory=list)  # name lexemes one edit away (filled later)
    # filled from the vocabulary (catalogue.search.listing): lexemes of words spelt with æ, ø, å where
    # the query had ae/oe/aa or a/o, and of ordinary words one edit away; they rank below the word itself
    fallback: list[str] = field(default_factory=list)
    parts: list["Term"] = field(default_factory=list)  # a compound's two known words: both must match
    joined: str | None = None  # the lexeme of the hyphenated word it ends (e-bøker): ranks higher in names


@dataclass
class Query:
    """A free-text query as the search uses it."""

    terms: list[Term]
    levels: list[str] = field(default_factory=list)  # a bare range in the text ("matte 5-7"): a level filter
    uncovered_level: bool = False  # the text asked for a level the catalogue does not cover (vgs)


_BARE_RANGE = re.compile(r"(?<![\w.])(\d{1,2})\s*[-–—]\s*(\d{1,2})(?![\w.]|\s*\.|\s*(?:klasse|trinn))")
_HYPHEN_BEFORE_CONJUNCTION = re.compile(r"([^\W\d_])-(og|eller)\b")


def _term(word: str, typing: bool) -> Term:
    s = stem(word)
    term = Term(word=word, stem=s)
    alphabetic = s.isalpha()
    if alphabetic and len(s) >= MIN_STEM_PREFIX:
        term.prefixes.append(s)  # also the compounds it starts: matematikk → matematikkprogram
    else:
        term.exact.append(s)
    if typing and not any(word.startswith(p) for p in term.prefixes):
        term.prefixes.append(word)  # search as you type: the last word may be unfinished
    if alphabetic and len(s) >= MIN_SUFFIX:
        term.prefixes.append(reversed_lexeme(s))  # the compounds it ends: ressurs → læringsressurs
    return term


def add_alternative(term: Term, word: str) -> None:
    """Let ``term`` also match the (normalised) word ``word`` and the compounds it starts or ends."""
    s = stem(word)
    if s.isalpha() and len(s) >= MIN_STEM_PREFIX:
        if s not in term.prefixes:
            term.prefixes.append(s)
    elif s not in term.exact:
        term.exact.append(s)
    if s.isalpha() and len(s) >= MIN_SUFFIX and reversed_lexeme(s) not in term.prefixes:
        term.prefixes.append(reversed_lexeme(s))


def analyse_query(q: str, synonyms: Synonyms | None = None) -> Query:
    """The terms of a free-text query (each matching any of its alternatives), the levels a bare
    range in it names, and whether it named a level outside the catalogue. Only letters and digits
    survive analysis, so no query text ever reaches an engine's query syntax. ``synonyms``: the
    service's current ones (catalogue.search.synonyms); the data file's when not given."""
    text = normalise(q[:1000])
    levels: list[str] = []

    def bare_range(match: re.Match) -> str:
        low, high = int(match.group(1)), int(match.group(2))
        if 1 <= low <= high <= 10:
            levels.extend(str(n) for n in range(low, high + 1) if str(n) not in levels)
            return " "
        return match.group(0)

    text = _BARE_RANGE.sub(bare_range, text)
    text = _HYPHEN_BEFORE_CONJUNCTION.sub(r"\1- \2", text)  # "lese-og skrivestøtte"
    hyphenated = {}  # last part → the joined word's lexeme: e-bøker is "bøker", best with the "e-"
    for token in _WORD.findall(text):
        if "-" in token:
            parts = [p for p in _JOINERS.split(token) if p]
            hyphenated[parts[-1]] = stem("".join(parts))
    found = list(dict.fromkeys(words(text, query=True)))
    uncovered = any(w in UNCOVERED_LEVEL_WORDS for w in found)
    found = [w for w in found if w not in UNCOVERED_LEVEL_WORDS][:MAX_QUERY_TERMS]
    terms = []
    for index, word in enumerate(found):
        typing = index == len(found) - 1 and len(word) >= MIN_PREFIX and not _LEVEL_LEXEME.fullmatch(word)
        term = _term(word, typing)
        for other in synonyms_of(word, synonyms):
            add_alternative(term, other)
        term.joined = hyphenated.get(word)
        terms.append(term)
    return Query(terms=terms, levels=levels, uncovered_level=uncovered)


def parse_query(q: str) -> list[Term]:
    """The terms of a free-text query (see analyse_query)."""
    return analyse_query(q).terms


def fuzzy_candidates(terms: list[Term]) -> dict[str, set[str]]:
    """Deletion keys to look up for each term long enough for typo tolerance."""
    return {t.word: deletion_keys(t.word) for t in terms if len(t.word) >= MIN_FUZZY and t.word.isalpha()}


# --- the vocabulary of every field: spellings without æ, ø, å; typos; compounds ---------------

WORD_KEY = "*"  # search_vocab keys of ordinary words (of any field) start with this
SKELETON_KEY = "~"  # and keys of their spelling without æ, ø, å with this
MIN_PART = 4  # a compound in a query is split into known words of at least this many letters
MIN_SPLIT = 8  # a query word this long may be a compound


def skeleton(word: str) -> str:
    """The word as typed without æ, ø, å, in one spelling: ae, æ → a; oe, ø → o; aa, å → a
    (forståelse and forstaelse both → forstalse)."""
    return word.translate(_SKELETON).replace("ae", "a").replace("oe", "o").replace("aa", "a")


_SKELETON = str.maketrans({"æ": "a", "ø": "o", "å": "a"})


def vocabulary_keys(word: str) -> set[str]:
    """search_vocab keys of an ordinary word of the index: the word and its one-letter deletions
    (typos and known-word checks), and its spelling without æ, ø, å."""
    keys = {WORD_KEY + k for k in deletion_keys(word)}
    if not word.isascii():
        keys.add(SKELETON_KEY + skeleton(word))
    return keys


def vocabulary_word(word: str) -> bool:
    return word.isalpha() and len(word) >= 3 and not word.startswith(REVERSED_MARK)


def _splits(word: str) -> list[tuple[str, str]]:
    """Ways to cut a query word into two words (the first may end in a linking s or e)."""
    if len(word) < MIN_SPLIT or not word.isalpha():
        return []
    out = []
    for cut in range(MIN_PART, len(word) - MIN_PART + 1):
        head, tail = word[:cut], word[cut:]
        out.append((head, tail))
        if head[-1] in "se" and len(head) > MIN_PART:
            out.append((head[:-1], tail))
    return out


def vocabulary_lookups(terms: list[Term]) -> set[str]:
    """Every search_vocab key the query needs: typos and ASCII spellings of its words, the words a
    long word may be made of, and adjacent words written apart that may be one word."""
    keys: set[str] = set()
    for term in terms:
        if not term.word.isalpha():
            continue
        keys.add(WORD_KEY + term.word)
        if len(term.word) >= MIN_FUZZY:
            keys.update(WORD_KEY + k for k in deletion_keys(term.word))
        if term.word.isascii():
            keys.add(SKELETON_KEY + skeleton(term.word))
        for head, tail in _splits(term.word):
            keys.update((WORD_KEY + head, WORD_KEY + tail))
    for left, right in zip(terms, terms[1:]):
        if left.word.isalpha() and right.word.isalpha():
            keys.add(WORD_KEY + left.word + right.word)
            if (left.word + right.word).isascii():
                keys.add(SKELETON_KEY + skeleton(left.word + right.word))
    return keys


def apply_vocabulary(terms: list[Term], found: list[tuple[str, str, str]]) -> None:
    """Fill each term's fallbacks and compound parts from the search_vocab rows ``found``
    (key, word, lexeme) that vocabulary_lookups asked for."""
    known = {word: lexeme for key, word, lexeme in found if key == WORD_KEY + word}
    by_key: dict[str, set[tuple[str, str]]] = {}
    for key, word, lexeme in found:
        by_key.setdefault(key, set()).add((word, lexeme))
    for term in terms:
        if not term.word.isalpha():
            continue
        fallback: set[str] = set()
        if term.word.isascii():  # brok → brøk, laering → læring
            fallback.update(lexeme for word, lexeme in by_key.get(SKELETON_KEY + skeleton(term.word), ())
                            if word != term.word)
        if term.word not in known and len(term.word) >= MIN_FUZZY:  # programering → programmering
            for key in deletion_keys(term.word):
                fallback.update(lexeme for word, lexeme in by_key.get(WORD_KEY + key, ())
                                if word != term.word and within_one_edit(term.word, word))
        own = set(term.exact) | set(term.prefixes)
        term.fallback = sorted(x for x in fallback if x not in own and x != term.stem)[:20]
        if term.word not in known:
            cuts = [(h, t) for h, t in _splits(term.word) if h in known and t in known]
            if cuts:  # the longest known head: matematikkspill → matematikk + spill
                head, tail = max(cuts, key=lambda c: (len(c[0]), len(c[1])))
                term.parts = [_term(head, False), _term(tail, False)]
    for left, right in zip(terms, terms[1:]):
        joined = left.word + right.word  # lese forståelse → leseforståelse
        found_words = [joined] if joined in known else []
        if joined.isascii():  # lese forstaelse → leseforståelse
            found_words += [word for word, _ in by_key.get(SKELETON_KEY + skeleton(joined), ())]
        for word in found_words:
            add_alternative(left, word)
            add_alternative(right, word)


# --- synonyms and nynorsk ------------------------------------------------------------------

_DATA = Path(__file__).resolve().parent.parent / "data"


SYNONYM_KINDS = ("word", "both", "nynorsk")


@dataclass(frozen=True)
class Synonyms:
    """What the query analysis makes of a teacher's words: words that stand for others
    (abbreviations) and nynorsk word beginnings with their bokmål ones (longest first)."""

    words: dict[str, tuple[str, ...]]
    beginnings: tuple[tuple[str, str], ...]


def build_synonyms(rows: Iterable[tuple[str, str, str]]) -> Synonyms:
    """Synonyms from (kind, word, means) rows: ``word`` stands for the words of ``means``;
    ``both`` also the other way; ``nynorsk``: a nynorsk word beginning and its bokmål one."""
    words_: dict[str, list[str]] = {}
    beginnings: list[tuple[str, str]] = []
    for kind, raw_word, raw_means in rows:
        word, means = normalise(raw_word).strip(), normalise(raw_means).strip()
        if not word or not means:
            continue
        if kind == "nynorsk":
            beginnings.append((word, means))
        else:
            words_.setdefault(word, []).extend(means.split())
            if kind == "both":
                for other in means.split():
                    words_.setdefault(other, []).append(word)
    return Synonyms({w: tuple(dict.fromkeys(m)) for w, m in words_.items()},
                    tuple(sorted(beginnings, key=lambda b: (-len(b[0]), b[0]))))


def seed_synonym_rows() -> list[tuple[str, str, str]]:
    """The synonyms the service starts with: catalogue/data/search_synonyms.csv (columns: kind,
    word, means), the initial data of the table the admin edits (catalogue.search.synonyms)."""
    with (_DATA / "search_synonyms.csv").open(encoding="utf-8") as handle:
        return [(row["kind"], row["word"], row["means"]) for row in csv.DictReader(handle)]


@lru_cache(maxsize=1)
def default_synonyms() -> Synonyms:
    """The synonyms of the data file, for analysis outside the service (tests, benchmarks)."""
    return build_synonyms(seed_synonym_rows())


def synonyms_of(word: str, synonyms: Synonyms | None = None) -> list[str]:
    """Other words ``word`` stands for: an abbreviation's meaning, a nynorsk form's bokmål form
    (oppgåver → oppgaver, kjeldekritikk → kildekritikk)."""
    synonyms = synonyms or default_synonyms()
    out = list(synonyms.words.get(word, ()))
    for nynorsk, bokmaal in synonyms.beginnings:
        if word.startswith(nynorsk):
            out.append(bokmaal + word[len(nynorsk):])
            break
    return [w for w in out if w != word]
