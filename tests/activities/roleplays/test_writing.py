"""The pure rules of the written follow-up (issue 8): about one page per text, and what may
identify a real person flagged as a warning (domain.md §0 point 9)."""

from __future__ import annotations

from lti_tool.activities.roleplays.writing import (
    REPORT_WORDS_MAX,
    NameWarning,
    anonymity_warnings,
    over_limit,
    word_count,
)

ROSTER = ["Léa", "Bernard", "Inès", "Moreau", "Lucas", "Fontaine"]
CHARACTERS = ["Mme Nadia Kaci", "M. Alain Thibaut", "Jordan et Inès Martin"]


def warned(text: str) -> list[NameWarning]:
    return anonymity_warnings(text, roster_names=ROSTER, fictional_names=CHARACTERS)


def test_words_are_counted_as_a_word_processor_counts_them() -> None:
    assert word_count("L'atelier   a duré\n\ndeux heures.") == 5
    assert word_count("") == 0


def test_a_text_of_the_limit_passes_and_one_word_more_does_not() -> None:
    assert not over_limit("mot " * REPORT_WORDS_MAX)
    assert over_limit("mot " * (REPORT_WORDS_MAX + 1))


def test_a_civility_followed_by_a_capitalised_name_is_flagged() -> None:
    text = "M. Dupont est arrivé en retard ; madame Le Gall a pris la parole. Mme.Roussel aussi."

    assert warned(text) == [
        NameWarning("civility", "M. Dupont"),
        NameWarning("civility", "madame Le Gall"),
        NameWarning("civility", "Mme.Roussel"),
    ]


def test_initials_are_how_one_anonymises_and_are_not_flagged() -> None:
    assert (
        warned("Mme D. a évoqué ses impayés ; M. X est resté silencieux, Monsieur B aussi.") == []
    )


def test_the_brief_s_fictional_characters_may_be_named() -> None:
    assert warned("Mme Kaci s'inquiète des charges ; M. Alain Thibaut entend mal.") == []


def test_a_classmate_s_name_is_flagged_unless_a_character_bears_it() -> None:
    # Inès is also a character's given name (Jordan et Inès Martin): allowed.
    text = "Lucas jouait le locataire ; Inès posait des questions ; Fontaine riait."

    assert warned(text) == [NameWarning("roster", "Lucas"), NameWarning("roster", "Fontaine")]


def test_a_classmate_s_name_inside_an_ordinary_word_or_in_lower_case_is_not_flagged() -> None:
    assert warned("Les lucarnes de la fontaine bernardine") == []


def test_contact_details_are_flagged() -> None:
    text = "Joindre la famille au 06 12 34 56 78 ou à jean.dupont@exemple.fr, +33 6 12 34 56 78."

    assert [w.kind for w in warned(text)] == ["contact", "contact", "contact"]
    assert warned(text)[0].excerpt == "06 12 34 56 78"


def test_a_name_flagged_twice_is_listed_once() -> None:
    assert warned("M. Dupont, puis encore M. Dupont.") == [NameWarning("civility", "M. Dupont")]


def test_a_roster_name_after_a_civility_is_listed_once_as_a_civility() -> None:
    assert warned("Madame Moreau a parlé.") == [NameWarning("civility", "Madame Moreau")]
