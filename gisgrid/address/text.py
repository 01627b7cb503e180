"""Address text folded to one form, and the pinyin key that makes homophones equal.

Queries and gazetteer names go through the same :func:`fold`, so a name is found in a
query whatever width, spacing or punctuation either was written with. Chinese numerals
are turned into digits only where they count something (三单元, 十二号楼, 五零一室), by
``cn2an``; inside names (三官会, 金林十二巷) they are left alone, so a name keeps one form.
"""

from __future__ import annotations

import re
import threading
import unicodedata

import cn2an
from pypinyin import Style, lazy_pinyin

__all__ = ["fold", "phonetic", "same_sound"]

_PUNCT_RE = re.compile(r"[\s,，、。．.;；:：()（）\[\]【】<>《》\"'“”‘’_/\\|!！?？]+")
_DASH_RE = re.compile(r"[－—–‐‑−~～]")
# A run of Chinese numerals that counts something: before a marker, or after 单元 at the end.
_CN_COUNT_RE = re.compile(r"([零〇一二两三四五六七八九十百]+)(?=号|栋|幢|座|单元|室|户|层|楼|门|排)"
                          r"|(?<=单元)([零〇一二两三四五六七八九十百]+)(?=$|[^零〇一二两三四五六七八九十百])")
_DIGIT_BY_DIGIT = str.maketrans("零〇一二两三四五六七八九", "001223456789")


def _cn_count(run: str) -> str:
    """One counting numeral as digits: 十二 -> 12, 二十 -> 20, 五零一 -> 501 (digit by digit)."""
    if all(ch in "零〇一二两三四五六七八九" for ch in run):
        return run.translate(_DIGIT_BY_DIGIT)       # room numbers are read digit by digit
    try:
        return str(int(cn2an.cn2an(run.replace("两", "二"), "smart")))
    except ValueError:   # not a well-formed numeral (e.g. 十十): leave the text as written
        return run


def fold(text: str) -> str:
    """The one form addresses and names are compared in.

    NFKC (full-width digits and letters to ASCII), upper case, no spaces or punctuation,
    dashes unified, ``#`` read as 号, counting Chinese numerals as digits.

    Examples
    --------
    >>> fold("金林小区 ３栋二单元五零一")
    '金林小区3栋2单元501'
    >>> fold("三官会社区（夫子庙）")
    '三官会社区夫子庙'
    """
    s = unicodedata.normalize("NFKC", str(text)).upper()
    s = _DASH_RE.sub("-", s)
    s = _PUNCT_RE.sub("", s).replace("#", "号")
    return _CN_COUNT_RE.sub(lambda m: _cn_count(m.group(1) or m.group(2)), s)


def _syllable(ch: str) -> str:
    if "\u4e00" <= ch <= "\u9fff":
        return lazy_pinyin(ch, style=Style.NORMAL)[0]
    return ch


class _SoundTable(dict[int, str]):
    """``str.translate`` table from a character to the symbol of its syllable, filled as
    characters are first met (so the whole key is one C-level pass over the text)."""

    def __init__(self) -> None:
        super().__init__()
        #: One private-use character per pinyin syllable, so sound keys are strings that
        #: align character for character with the text they come from.
        self.syllables: dict[str, str] = {}
        self._lock = threading.Lock()

    def __missing__(self, code: int) -> str:
        ch = chr(code)
        syl = _syllable(ch)
        with self._lock:        # two threads meeting two new syllables must not share a symbol
            sym = ch if syl == ch else self.syllables.setdefault(syl, chr(0xE000 + len(self.syllables)))
            self[code] = sym
        return sym


_SOUNDS = _SoundTable()


def phonetic(text: str) -> str:
    """A key of the same length as ``text``: each Chinese character replaced by a symbol of
    its (toneless) syllable, other characters kept. 金阳 and 金扬 get the same key.

    Examples
    --------
    >>> phonetic("金阳") == phonetic("金扬") and phonetic("金阳") != phonetic("金林")
    True
    """
    return text.translate(_SOUNDS)


def same_sound(a: str, b: str) -> bool:
    """Whether two names sound alike (same toneless syllables)."""
    return len(a) == len(b) and phonetic(a) == phonetic(b)
