"""Tokenising and light stemming for English chat text."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

_MENTION = re.compile(r"<(?:@[!&]?|#)\d+>|@(?:everyone|here)\b")
_URL = re.compile(r"https?://\S+|www\.\S+")
_US = re.compile(r"(?<![A-Za-z])(?:U\.\s?S\.?(?:\s?A\.?)?|USA|US)(?![A-Za-z])")
_APOSTROPHES = re.compile(r"[’‘`´]")
_CONTRACTIONS = (
    (re.compile(r"\b(\w+)n't\b"), r"\1 not"),
    (re.compile(r"\bwon't\b"), "will not"),
    (re.compile(r"'(s|re|ve|ll|d|m)\b"), ""),
)
_PERCENT = re.compile(r"%")
_DIGIT = re.compile(r"\d")
_WORD = re.compile(r"[a-z0-9]+(?:\.[0-9]+)?")
# '2h', '130min', '24pct', '10bn': a number and its unit are two words (but '1st', '2nd', '1990s' are one).
_NUMBER_UNIT = re.compile(r"\b(\d+(?:\.\d+)?)(?!st\b|nd\b|rd\b|th\b|s\b)([a-z]+)\b")
_MONTHS = "january|february|march|april|may|june|july|august|september|october|november|december"
_DAY_MONTH = re.compile(rf"\b([0-3]?\d)(?:st|nd|rd|th)?\s+({_MONTHS})\b")
_MONTH_DAY = re.compile(rf"\b({_MONTHS})\s+([0-3]?\d)(?:st|nd|rd|th)?\b(?!\s*(?:%|percent))")


def tokenize(text: str, signs: Callable[[str], str] | None = None) -> list[str]:
    """Lower-case word tokens: mentions and links dropped, 'US' kept apart from 'us', '%' as 'percent'.

    `signs` reads signs and emoji as words, once mentions and links are gone (a role mention's '&' is no
    'and'). Each rewrite runs only when the text holds the character its pattern cannot match without.
    """
    if "<" in text or "@" in text:
        text = _MENTION.sub(" ", text)
    if "://" in text or "www." in text:
        text = _URL.sub(" ", text)
    if signs is not None:
        text = signs(text)
    if "U" in text:
        text = _US.sub(" usa ", text)
    if not text.isascii() or "`" in text:
        text = _APOSTROPHES.sub("'", text)
    text = text.lower()
    if "'" in text:
        for pattern, replacement in _CONTRACTIONS:
            text = pattern.sub(replacement, text)
    if _DIGIT.search(text):
        text = _NUMBER_UNIT.sub(r"\1 \2", text)
        text = _DAY_MONTH.sub(r"\2 \2\1", text)  # '2 may' -> 'may may2'
        text = _MONTH_DAY.sub(r"\1 \1\2", text)  # 'april 16' -> 'april april16'
    if "%" in text:
        text = _PERCENT.sub(" percent ", text)
    return _WORD.findall(text)


@lru_cache(maxsize=8192)  # chat reuses few words: most are stemmed again and again
def stem(word: str) -> str:
    """Strip common English inflections (plural, -ed, -ing) so 'tariffs' meets 'tariff'."""
    if len(word) <= 3 or word.isdigit():
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "shes", "ches", "xes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    if word.endswith("ing") and len(word) > 5:
        return _undouble(word[:-3])
    if word.endswith("ed") and len(word) > 4 and not word.endswith("eed"):
        return _undouble(word[:-2])
    return word


def _undouble(word: str) -> str:
    if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "lsz":
        return word[:-1]
    return word
