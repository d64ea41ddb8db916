"""Rules on the co-animators' written follow-up (issue 8, "Debrief and follow-up"), pure:
text in, answers out; no ORM, no request (style rule 3).

* Each text is at most about one page (domain.md §6.1 step 5): ``REPORT_WORDS_MAX`` words,
  counted as a word processor does (runs of characters between spaces).
* Real cases must be anonymised (domain.md §0 point 9): ``anonymity_warnings`` points at
  what looks like a person's name or contact details. It is a warning for the author and a
  help for the trainer, never a refusal: it cannot tell a real name from a fictional one
  with certainty, so a person decides (the trainer can flag the report).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

# About one page of A4 at 11–12 pt for each text; checked on submission, shown live.
REPORT_WORDS_MAX = 450
# Shorter given or family names ("Al", "Li") would match ordinary words too often.
NAME_LENGTH_MIN = 3

_UPPER = "A-ZÀ-ÖØ-Þ"
_LOWER = "a-zß-öø-ÿ"
_NAME = rf"[{_UPPER}][{_LOWER}]+(?:[-'’][{_UPPER}]?[{_LOWER}]+)*"
# A civility followed by a capitalised word of two letters or more: "Mme Dupont",
# "monsieur Le Gall", "Mme.Martin". An initial ("Mme D.", "M. X") is how one anonymises, so it
# is not matched.
_CIVILITY = re.compile(
    r"(?<![\w])"
    r"(?:(?i:m|mm)\.\s*|(?i:mme|mmes|mlle|madame|monsieur|mademoiselle|docteur|maître|dr)(?:\.\s*|\s+))"
    rf"(?P<name>{_NAME}(?:\s+{_NAME})?)"
)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# French phone numbers: 06 12 34 56 78, 06.12.34.56.78, +33 6 12 34 56 78.
_PHONE = re.compile(r"(?<!\d)(?:\+33\s?|0)[1-9](?:[\s.-]?\d{2}){4}(?!\d)")


@dataclass(frozen=True)
class NameWarning:
    """Something in a text that may identify a person."""

    kind: str  # "civility" | "roster" | "contact"
    excerpt: str


def word_count(text: str) -> int:
    return len(text.split())


def over_limit(text: str, limit: int = REPORT_WORDS_MAX) -> bool:
    return word_count(text) > limit


def _name_words(names: Iterable[str]) -> set[str]:
    """The capitalised words of some names ("Mme Nadia Kaci" → {"Nadia", "Kaci"})."""
    return {word for name in names for word in re.findall(_NAME, name)}


def anonymity_warnings(
    text: str, *, roster_names: Iterable[str] = (), fictional_names: Iterable[str] = ()
) -> list[NameWarning]:
    """What in ``text`` may identify a real person, in order of appearance, once each.

    ``roster_names`` are classmates' given and family names (the participants are played by
    classmates: a report names the character, not the student); ``fictional_names`` are the
    brief's characters, which are invented and therefore allowed ("Mme Kaci").
    """
    allowed = _name_words(fictional_names)
    found: list[tuple[int, NameWarning]] = []
    for match in _CIVILITY.finditer(text):
        if not set(re.findall(_NAME, match.group("name"))) <= allowed:
            found.append((match.start(), NameWarning("civility", match.group(0))))
    roster = {w for w in _name_words(roster_names) if len(w) >= NAME_LENGTH_MIN} - allowed
    for word in sorted(roster):
        for match in re.finditer(rf"(?<![\w]){re.escape(word)}(?![\w])", text):
            found.append((match.start(), NameWarning("roster", word)))
    for pattern in (_EMAIL, _PHONE):
        found.extend(
            (match.start(), NameWarning("contact", match.group(0)))
            for match in pattern.finditer(text)
        )
    warnings: list[NameWarning] = []
    for _position, warning in sorted(found, key=lambda pair: pair[0]):
        if warning not in warnings and not any(
            w.kind == "civility" and warning.excerpt in w.excerpt for w in warnings
        ):
            warnings.append(warning)
    return warnings
