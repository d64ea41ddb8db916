"""Pure rules of forming teams and dealing roles (no ORM): sizes of a random draw,
mandates of new co-animators, cards then focuses for a session's cast."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

from lti_tool.activities.roleplays.content import RolePlay
from lti_tool.activities.roleplays.models import TEAM_SIZE_MIN


def team_sizes(students: int, size: int) -> list[int]:
    """The sizes of the teams drawn from ``students`` people for teams of ``size``.

    Every team is a pair or a trio: a remainder joins the last teams rather than leaving
    someone alone (5 for pairs → 2 + 3; 7 for trios → 3 + 2 + 2). Fewer than two people
    make no team.
    """
    if students < TEAM_SIZE_MIN:
        return []
    count = -(-students // size)  # ceil
    while students // count < TEAM_SIZE_MIN:
        count -= 1
    base, extra = divmod(students, count)
    sizes = [base] * count
    for index in range(extra):
        sizes[-1 - index] += 1
    return sizes


def mandates_dealt(brief: RolePlay, held: Iterable[str], count: int) -> list[str]:
    """Mandates for ``count`` new co-animators of a team whose members already hold
    ``held``: the least held first, in the brief's order (two institutions → one each)."""
    ids = [m.id for m in brief.mandates]
    if not ids:
        return [""] * count
    tally = Counter(mandate for mandate in held if mandate in ids)
    dealt = []
    for _index in range(count):
        chosen = min(ids, key=lambda mandate: (tally[mandate], ids.index(mandate)))
        tally[chosen] += 1
        dealt.append(chosen)
    return dealt


def roles_dealt(
    *,
    cards: Sequence[str],
    focuses: Sequence[str],
    current: Mapping[int, tuple[str, str]],
    candidates: Sequence[int],
    elsewhere: Mapping[int, int],
) -> dict[int, tuple[str, str]]:
    """New roles for ``candidates`` (people without a role in the session, in a random
    order) given the ``current`` cast: the cards nobody holds go first, to those with the
    fewest roles ``elsewhere`` (the load spreads over the class); everyone left observes,
    each taking the focus watched by the fewest so far (brief order on ties)."""
    held = {item for role, item in current.values() if role == "participant"}
    free_cards = [card for card in cards if card not in held]
    watched = Counter(item for role, item in current.values() if role == "observer")
    dealt: dict[int, tuple[str, str]] = {}
    for person in sorted(candidates, key=lambda pk: elsewhere.get(pk, 0)):  # stable
        if free_cards:
            dealt[person] = ("participant", free_cards.pop(0))
        elif focuses:
            focus = min(focuses, key=lambda f: (watched[f], focuses.index(f)))
            watched[focus] += 1
            dealt[person] = ("observer", focus)
    return dealt
