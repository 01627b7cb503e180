"""An address text cut into tokens: the names it mentions, its numbers and its cues.

Names are found anywhere in the text (the gazetteer's automatons): exactly, as an
estate's core without its suffix (金林 for 金林小区), as a homophone (金扬小区), or with
one wrong character just before a suffix (金x林小区, 长成路), the last by ``rapidfuzz``'s
Levenshtein distance against the registry names that end with the same suffix. Where
found names overlap, the longest, then the best-written, is kept. Numbers keep the marker
written after them (号, 号楼, 单元, 室, 层…); a number inside a name (金林12巷) is part of
the name. Cues are landmark words (门口, 北门, 对面, 附近, 交叉口).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from gisgrid.address.gazetteer import ESTATE_SUFFIXES, ROAD_SUFFIXES, Gazetteer, Name
from gisgrid.address.text import fold, phonetic

__all__ = ["Mention", "Number", "Tokens", "tokenise"]

#: How well a name was written, best first: its order breaks ties between overlapping finds.
HOW_RANK = {"name": 0, "core": 1, "sound": 2, "soundcore": 3, "typo": 4}

_NUMBER_RE = re.compile(
    r"(?P<num>[A-Z]?\d+[A-Z]?(?:-[A-Z]?\d+[A-Z]?){0,2})"
    r"(?P<marker>号楼|号院|号门|号|栋|幢|座|单元|门洞|门|室|户|房|层|楼)?")
_CUE_RE = re.compile(r"交叉口|十字路口|丁字路口|路口|东北门|东南门|西北门|西南门|东门|西门|南门|北门|正门|"
                     r"后门|大门|门口|对面|附近|旁边|周边|隔壁|楼下|楼上|路边")
_SUFFIX_RE = re.compile("|".join(sorted(set(ROAD_SUFFIXES + ESTATE_SUFFIXES), key=len, reverse=True)))


@dataclass(frozen=True, slots=True)
class Mention:
    """A name found in the text: the gazetteer entries it may be, and how it was written."""

    start: int
    end: int                 # exclusive
    names: tuple[Name, ...]
    how: str                 # name, core, sound, typo
    #: The kinds of the entries (road, estate…), worked out once: every step asks.
    kinds: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "kinds", frozenset(n.kind for n in self.names))


@dataclass(frozen=True, slots=True)
class Number:
    """A number as written, with the marker after it (None: bare) and its parts (3-2-501)."""

    start: int
    end: int
    parts: tuple[str, ...]
    marker: str | None

    @property
    def value(self) -> int | None:
        p = self.parts[0]
        return int(p) if p.isdigit() else None


@dataclass(slots=True)
class Tokens:
    text: str
    mentions: list[Mention] = field(default_factory=list)
    numbers: list[Number] = field(default_factory=list)
    cues: list[tuple[int, str]] = field(default_factory=list)

    def of_kind(self, *kinds: str) -> list[Mention]:
        return [m for m in self.mentions if not m.kinds.isdisjoint(kinds)]


def _exact_finds(gaz: Gazetteer, text: str) -> list[Mention]:
    found: list[Mention] = []
    for end, (length, names) in gaz.exact.iter(text):
        full = tuple(n for n in names if n.how == "name")
        found.append(Mention(end + 1 - length, end + 1, full or names, "name" if full else "core"))
    return found


def _sound_finds(gaz: Gazetteer, text: str, taken: list[bool], exact_spans: set[tuple[int, int]]
                 ) -> list[Mention]:
    """Homophones of names, looked for only where no name written right was chosen: a
    sound-alike overlapping one is never kept (:func:`tokenise`), so searching the
    uncovered stretches finds every homophone that can be kept, and a text whose names
    were all written right (most of them) skips the pinyin pass."""
    found: list[Mention] = []
    start = None
    for i, t in enumerate([*taken, True]):
        if not t:
            if start is None:
                start = i
            continue
        if start is not None and i - start >= 2 and _has_han(text, start, i):
            for end, (length, names) in gaz.sound.iter(phonetic(text[start:i])):
                span = (start + end + 1 - length, start + end + 1)
                if span not in exact_spans:
                    full = tuple(n for n in names if n.how == "name")
                    found.append(Mention(*span, full or names, "sound" if full else "soundcore"))
        start = None
    return found


def _has_han(text: str, start: int, end: int) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text[start:end])


def _choose(found: list[Mention], taken: list[bool]) -> list[Mention]:
    """Non-overlapping finds: longest first, then the best written."""
    chosen = []
    for m in sorted(found, key=lambda m: (-(m.end - m.start), HOW_RANK[m.how], m.start)):
        if not any(taken[m.start:m.end]):
            chosen.append(m)
            for i in range(m.start, m.end):
                taken[i] = True
    return chosen


def _typos(gaz: Gazetteer, text: str, taken: list[bool]) -> list[Mention]:
    """Road and estate names with one character wrong, found in front of their suffix:
    every registry name with that suffix whose core is one edit away (rapidfuzz)."""
    out = []
    for sm in _SUFFIX_RE.finditer(text):
        s0, s1 = sm.start(), sm.end()
        pool = gaz.suffix_cores.get(sm.group())
        if pool is None or any(taken[s0:s1]):
            continue
        for k in (4, 3, 2):
            core = text[s0 - k:s0] if s0 >= k else ""
            if not core or any(taken[s0 - k:s0]) or any(ch.isdigit() for ch in core):
                continue
            hits = process.extract(core, pool[0], scorer=Levenshtein.distance, score_cutoff=1, limit=None)
            names = {pool[1][i] for _, d, i in hits if d == 1 and len(pool[0][i]) >= k - 1}
            if names:
                out.append(Mention(s0 - k, s1, tuple(sorted(names, key=repr)), "typo"))
                break
    return out


def tokenise(gaz: Gazetteer, query: str) -> Tokens:
    """Cut a query into names, numbers and cues (see the module docstring).

    Examples
    --------
    >>> t = tokenise(gaz, "投诉航宇路长乐小区3号楼噪音大")          # doctest: +SKIP
    >>> [(m.how, sorted(m.kinds)) for m in t.mentions]            # doctest: +SKIP
    [('name', ['road']), ('name', ['estate'])]
    """
    text = fold(query)
    taken = [False] * len(text)
    found = _exact_finds(gaz, text)
    # Names written right win over sound-alikes that overlap them (驼峰苑小区 is 驼峰苑, not
    # 丰源小区); a slip may be a homophone of one name and one character off another, so
    # the typo search also looks where only a sound-alike was found (both are kept).
    mentions = _choose(found, taken)
    exact_taken = list(taken)
    mentions += _choose(_sound_finds(gaz, text, taken, {(m.start, m.end) for m in found}), taken)
    mentions += _typos(gaz, text, exact_taken)
    for m in mentions:
        for i in range(m.start, m.end):
            taken[i] = True
    mentions.sort(key=lambda m: m.start)
    tokens = Tokens(text, mentions)
    for m in _NUMBER_RE.finditer(text):
        if not any(taken[m.start():m.end()]):
            tokens.numbers.append(Number(m.start(), m.end(), tuple(m.group("num").split("-")),
                                         m.group("marker")))
    tokens.cues = [(m.start(), m.group()) for m in _CUE_RE.finditer(text)
                   if not any(taken[m.start():m.end()])]
    return tokens
