"""The shared keyboard rubric (grading/_rubric_keyboard.html) renders any rubric of the
grading engine, not only a DPA case's: one fieldset per criterion with its five
descriptors and N/E, the current level checked, the comment, and the navigation data the
script reads."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

from django.template.loader import render_to_string
from django.test import RequestFactory

from lti_tool.grading.rubric import Rubric, RubricCriterion
from lti_tool.grading.rules import Criterion
from lti_tool.lti.launch_context import ABSENT_LAUNCH

RUBRIC = Rubric(
    (
        RubricCriterion(
            Criterion("DSL-DIAG", "DC2", Decimal(2), ("DC2.B1",), "Diagnostic partagé"),
            ("Absent", "Insuffisant", "En voie", "Acquis", "Maîtrisé"),
        ),
        RubricCriterion(
            Criterion("DSL-ECR", "DC3", Decimal(1), ("DC3.3",), "Note de synthèse"),
            ("Confuse", "Peu claire", "Claire par endroits", "Claire", "Remarquable"),
        ),
    )
)


def rendered(**extra: object) -> str:
    request = RequestFactory().get("/")
    request.lti_launch = ABSENT_LAUNCH  # type: ignore[attr-defined]
    criteria = [
        SimpleNamespace(
            code=item.code,
            label=item.criterion.label,
            domain=item.domain,
            weight=item.criterion.weight,
            descriptors=item.descriptors,
            decided=item.code == "DSL-ECR",
            level=None,
            comment="À reprendre" if item.code == "DSL-ECR" else "",
        )
        for item in RUBRIC.criteria
    ]
    return render_to_string(
        "grading/_rubric_keyboard.html",
        {"criteria": criteria, "save_url": "/grille/", **extra},
        request=request,
    )


def test_any_rubric_renders_one_keyboard_fieldset_per_criterion() -> None:
    html = rendered(next_url="/suivant/")
    assert html.count("data-criterion=") == 2
    assert html.count('name="level-DSL-DIAG"') == 6  # levels 0..4 and N/E
    assert "Maîtrisé" in html and "Remarquable" in html
    assert 'data-next-url="/suivant/"' in html and "data-previous-url" not in html
    assert 'action="/grille/"' in html and "rubric_keyboard.js" in html


def test_a_decided_n_e_is_checked_and_an_undecided_criterion_is_marked() -> None:
    html = rendered()
    diag = html.split('data-criterion="DSL-DIAG"')[0].rsplit("<fieldset", 1)[1]
    assert "undecided" in diag
    ecr = html.split('data-criterion="DSL-ECR"')[1].split("</fieldset>")[0]
    assert 'value="ne" checked' in ecr and "À reprendre" in ecr
