"""First look at a message: question numbers dropped, and text that is no question at all."""

from __future__ import annotations

import re

# 'question 2:', 'Q3)', '#4.', '5)', '(6)' at the start only number the question.
_NUMBERING = re.compile(
    r"^\s*(?:(?:question|ques|qn|q|no|number|#)\s*\.?\s*\d+\s*[:.)\-]*|\(?\d{1,3}\s*[).:]|\(\d{1,3}\))\s*",
    re.IGNORECASE,
)
_URL = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)
_MENTION = re.compile(r"<(?:@[!&]?|#)\d+>|@(?:everyone|here)\b|@\w+")
_ALNUM = re.compile(r"[^\W_]")
# '3+3', 'what's 12 * 7?', 'calculate 2^10 = ?': digits joined by operators, nothing else that matters.
_ARITHMETIC = re.compile(r"\d\s*(?:[-+*/×÷^x]|\*\*|plus|minus|times|divided by)\s*\(?\s*\d", re.IGNORECASE)
_MATH_WORDS = re.compile(
    r"\b(?:what|whats|what's|is|are|equals?|calculate|compute|solve|how much|plus|minus|times|divided|by|"
    r"and|the|answer|result|of|pls|please)\b",
    re.IGNORECASE,
)


def strip_numbering(text: str) -> str:
    """The question without a leading 'question 2:' / 'Q3)' / '4.' that only numbers it."""
    stripped = _NUMBERING.sub("", text, count=1)
    return stripped if _ALNUM.search(stripped) else text


def is_not_a_question(text: str) -> bool:
    """True for text that asks nothing: no letters or digits, only links or mentions, or arithmetic."""
    words = _MENTION.sub(" ", _URL.sub(" ", text))
    if not _ALNUM.search(words):
        return True
    if _ARITHMETIC.search(words):
        rest = _MATH_WORDS.sub(" ", words)
        return not re.search(r"[a-wyz]{2,}", rest, re.IGNORECASE)
    return False
