"""Varied catalogue queries drawn like real traffic, for bench.run and bench.mixed.

Words are drawn by a Zipf law over a vocabulary of the bench's resources (subject words, tags,
uses, level words, parts of names) and words they do not have, 1–3 words a query, some typed
without æ, ø and å, some with one typo, some the start of a word (search as you type); a third
of the queries also carry a level band, a subject or a platform filter. Seeded, so every run sends
the same sequence; with thousands of requests most of them differ from every request before."""

from __future__ import annotations

import random
from urllib.parse import urlencode

from bench import generate

RARE = ["fuglekikking", "kvantefysikk", "vulkaner", "sjakk", "origami", "astronomi", "kalligrafi", "orienteringsløp"]
_FOLD = str.maketrans({"æ": "ae", "ø": "o", "å": "a"})


def vocabulary() -> list[str]:
    """Words in falling order of how often people type them."""
    words = [generate.COMMON_WORD]
    for _, subject_words in sorted(generate.SUBJECTS.values(), key=lambda v: -v[0]):
        words.extend(subject_words)
    words += generate.TAGS + [u for use in generate.USES for u in use.split()]
    words += list(generate.LEVEL_WORDS.values()) + ["barnehage", "5. trinn", "8. trinn"]
    words += [p.lower() for p in generate.PREFIXES] + [p.lower() + s for p in generate.PREFIXES[:6]
                                                       for s in generate.SUFFIXES[:4]]
    words += RARE
    return list(dict.fromkeys(w for w in words if len(w) > 2 and w not in {"på", "før"}))


def _variant(word: str, rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.08 and not word.isascii():
        return word.translate(_FOLD)  # typed without æ, ø, å
    if roll < 0.14 and len(word) >= 6:
        i = rng.randrange(1, len(word) - 1)
        return word[:i] + word[i + 1:]  # one letter missing
    if roll < 0.22 and len(word) >= 5:
        return word[:rng.randrange(3, len(word))]  # still typing
    return word


def paths(count: int, seed: int = 7, filters: bool = True) -> list[str]:
    """``count`` request paths of GET /api/v1/resources."""
    rng = random.Random(seed)
    words = vocabulary()
    weights = [1 / (rank + 1) ** 1.07 for rank in range(len(words))]
    bands, platforms = ["1-4", "5-7", "8-10", "barnehage"], generate.PLATFORMS
    subjects = [code for code, (weight, _) in generate.SUBJECTS.items() for _ in range(weight)]
    out = []
    for _ in range(count):
        chosen = rng.choices(words, weights, k=rng.choice((1, 1, 2, 2, 2, 3)))
        params: dict[str, str] = {"q": " ".join(_variant(w, rng) for w in dict.fromkeys(chosen))}
        if filters and rng.random() < 1 / 3:
            kind = rng.random()
            if kind < 0.5:
                params["band"] = rng.choice(bands)
            elif kind < 0.8:
                params["subject"] = rng.choice(subjects)
            else:
                params["platform"] = rng.choice(platforms)
        out.append("/api/v1/resources?" + urlencode(params))
    return out


if __name__ == "__main__":
    sample = paths(2000)
    print(f"{len(set(sample))} different of {len(sample)}")
    for p in sample[:15]:
        print(p)
