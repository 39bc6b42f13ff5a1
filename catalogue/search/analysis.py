"""Norwegian text analysis, written once and used for indexing and querying on both engines.

The engines never tokenise or stem anything themselves: this module turns text into lexemes, and
SQLite FTS5 (tokenizer ``ascii``, which splits on the spaces between our lexemes only) and
PostgreSQL (``tsvector`` literals, ``tsquery`` casts) store and match exactly those lexemes. That is
what makes one query give the same results on both.

A lexeme is a stemmed word (Norwegian snowball, with the known quirks repaired), a compound word's
head is reachable through a reversed copy of the lexeme (``_`` + reversed; a suffix search becomes a
prefix search), and level words become ``trinn5``-style lexemes."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Iterable

import snowballstemmer

# Bump when the analysis changes: documents indexed before must be rebuilt (`catalogue search reindex`).
ANALYZER_VERSION = 1

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


def words(text: str) -> list[str]:
    """The normalised words of ``text``, without stopwords, in order: level phrases become
    ``trinnN``, joined words (e-bok, micro:bit) give their parts and the joined form."""
    text = normalise(text)
    text = _LEVEL_RANGE.sub(_levels, text)
    text = _LEVEL_ONE.sub(_levels, text)
    out: list[str] = []
    for token in _WORD.findall(text):
        if not token.isalnum():  # joined: e-bok, micro:bit
            parts = [p for p in _JOINERS.split(token) if p]
            out.extend(p for p in parts if _keep(p))
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


def parse_query(q: str) -> list[Term]:
    """The terms of a free-text query; every term must match (AND). Only letters and digits
    survive analysis, so no query text ever reaches an engine's query syntax."""
    found = list(dict.fromkeys(words(q[:1000])))[:MAX_QUERY_TERMS]
    terms = []
    for index, word in enumerate(found):
        s = stem(word)
        term = Term(word=word, stem=s)
        alphabetic = s.isalpha()
        if alphabetic and len(s) >= MIN_STEM_PREFIX:
            term.prefixes.append(s)  # also the compounds it starts: matematikk → matematikkprogram
        else:
            term.exact.append(s)
        typing = index == len(found) - 1 and len(word) >= MIN_PREFIX and not _LEVEL_LEXEME.fullmatch(word)
        if typing and not any(word.startswith(p) for p in term.prefixes):
            term.prefixes.append(word)  # search as you type: the last word may be unfinished
        if alphabetic and len(s) >= MIN_SUFFIX:
            term.prefixes.append(reversed_lexeme(s))  # the compounds it ends: ressurs → læringsressurs
        terms.append(term)
    return terms


def fuzzy_candidates(terms: list[Term]) -> dict[str, set[str]]:
    """Deletion keys to look up for each term long enough for typo tolerance."""
    return {t.word: deletion_keys(t.word) for t in terms if len(t.word) >= MIN_FUZZY and t.word.isalpha()}
