"""The canvas's rules and services: per-field merge, concurrent team edits on PostgreSQL
(two threads, two connections), teams of 3–4, the dilemma cards' automatic score, the
submit lock, and the rubric grade (α inside the fed criterion only, no cross-domain
leakage, N/E stays N/E)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection

from lti_tool.activities.dsl import services
from lti_tool.activities.dsl.canvas import auto_scores, canvas_merge, phasing_years
from lti_tool.activities.dsl.models import Canvas
from lti_tool.activities.dsl.selectors import dsl_placement_get
from lti_tool.core.exceptions import Conflict, ValidationFailed
from lti_tool.grading.models import CriterionScore, DomainResult
from tests.activities.dsl.fixtures import brief_for, complete_fields, launch_dsl
from tests.grading.factories import Launched
from tests.grading.frameworks_fixtures import decesf  # noqa: F401

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("decesf")]

ORDER = ("a", "b", "c")


# --- pure ----------------------------------------------------------------------------------


def test_disjoint_changes_merge_and_a_field_both_changed_is_a_conflict() -> None:
    base = {"a": "1", "b": "1", "c": "1"}
    merged = canvas_merge(order=ORDER, base=base, mine={"a": "2"}, theirs={**base, "b": "3"})
    assert merged.fields == {"a": "2", "b": "3", "c": "1"} and not merged.conflicts
    same = canvas_merge(order=ORDER, base=base, mine={"a": "2"}, theirs={**base, "a": "2"})
    assert same.fields["a"] == "2" and not same.conflicts
    clash = canvas_merge(order=ORDER, base=base, mine={"a": "2", "c": "4"},
                         theirs={**base, "a": "9"})  # fmt: skip
    assert clash.conflicts == ("a",)
    assert clash.fields == {"a": "9", "b": "1", "c": "4"}  # theirs kept, mine elsewhere


def test_the_automatic_score_is_the_chosen_level_over_four_averaged_over_cards() -> None:
    from lti_tool.activities.dsl.content import dsl_from_json, dsl_parse
    from lti_tool.activities.services import dsl_files

    peupliers = dsl_files()[1]
    brief = dsl_from_json(dsl_parse(peupliers.read_text(encoding="utf-8"), source_name="p"))
    assert auto_scores(brief, {}) == {}
    scores = auto_scores(brief, {"diagnostic-express": "negocier", "reunion-vide": "envoyer"})
    assert scores == {"DSL-DIAG": Decimal("1"), "DSL-MED": Decimal("0.75"),
                      "DSL-MOB": Decimal("0.5")}  # fmt: skip
    assert "DSL-PTN" not in scores  # the card feeding it was not played


def test_the_phasing_span_counts_years_from_first_start_to_last_end() -> None:
    assert phasing_years([]) == 0
    assert phasing_years([{"start": 1, "end": 1}]) == 1
    assert phasing_years([{"start": 2, "end": 2}, {"start": 1, "end": 3}]) == 3


def test_the_charts_escape_students_texts_and_describe_themselves() -> None:
    from lti_tool.activities.dsl.charts import phasing_timeline, stakeholder_chart

    chart = str(stakeholder_chart([
        {"actor": "<script>alert(1)</script>", "interest": 4, "power": 1, "engagement": "neutre"},
        {"actor": "Sans niveaux", "interest": None, "power": None, "engagement": ""},
    ]))  # fmt: skip
    assert "<script>" not in chart and "&lt;script&gt;" in chart
    assert 'role="img"' in chart and "intérêt 4, pouvoir 1, neutre" in chart
    assert chart.count('r="11"') == 1  # an actor without levels is in the table only
    timeline = str(phasing_timeline([{"start": 1, "end": 4, "action": "A & B", "who": "<i>"}]))
    assert "A &amp; B" in timeline and "Année 4" in timeline and "<i>" not in timeline


# --- services ------------------------------------------------------------------------------


def started(demo: Any, who: str) -> tuple[Launched, Canvas]:
    student = launch_dsl(demo, who)
    placement = dsl_placement_get(resource_link_pk=student.resource_link.pk)
    return student, services.canvas_start(placement=placement, lti_user=student.lti_user)


def team_of_three(demo: Any) -> tuple[list[Launched], Canvas]:
    lea = launch_dsl(demo, "lea.bernard")
    placement = dsl_placement_get(resource_link_pk=lea.resource_link.pk)
    services.dsl_setup_update(placement=placement, team_size=3)
    canvas = services.canvas_start(placement=placement, lti_user=lea.lti_user)
    members = [lea]
    for who in ("hugo.petit", "ines.moreau"):
        student = launch_dsl(demo, who)
        services.canvas_join(canvas=canvas, lti_user=student.lti_user)
        members.append(student)
    return members, canvas


def test_a_team_fills_up_to_its_size_and_a_student_works_on_one_canvas(dsl: Any) -> None:
    _members, canvas = team_of_three(dsl)
    assert canvas.name == "Équipe 1" and canvas.members.count() == 3
    lucas = launch_dsl(dsl, "lucas.fontaine")
    with pytest.raises(Conflict, match="complète"):
        services.canvas_join(canvas=canvas, lti_user=lucas.lti_user)
    placement = canvas.placement
    own = services.canvas_start(placement=placement, lti_user=lucas.lti_user)
    chloe = launch_dsl(dsl, "chloe.lambert")
    third = services.canvas_start(placement=placement, lti_user=chloe.lti_user)
    with pytest.raises(Conflict, match="déjà sur un autre projet"):
        services.canvas_join(canvas=third, lti_user=lucas.lti_user)
    assert third.members.count() == 1
    assert own.number == 2
    with pytest.raises(Conflict, match="ne change plus"):
        services.dsl_setup_update(placement=placement, team_size=4)
    with pytest.raises(ValidationFailed, match="Taille impossible"):
        services.dsl_setup_update(placement=placement, team_size=2)


def _at_once(*calls: Callable[[], Any]) -> list[Any]:
    """Run the calls in threads released together; each thread has its own connection."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[Any] = [None] * len(calls)

    def run(index: int) -> None:
        try:
            barrier.wait()
            outcomes[index] = calls[index]()
        except Exception as error:
            outcomes[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


def test_two_members_saving_different_fields_at_once_are_both_kept(dsl: Any) -> None:
    (lea, hugo, _ines), canvas = team_of_three(dsl)
    first, second = _at_once(
        lambda: services.canvas_save(canvas=canvas, author=lea.lti_user, base_revision=0,
                                     values={"portrait": "Portrait de Léa"}),
        lambda: services.canvas_save(canvas=canvas, author=hugo.lti_user, base_revision=0,
                                     values={"commande": "Commande de Hugo"}),
    )  # fmt: skip
    assert not first.conflicts and not second.conflicts
    canvas.refresh_from_db()
    assert canvas.revision == 2
    assert canvas.fields["portrait"] == "Portrait de Léa"
    assert canvas.fields["commande"] == "Commande de Hugo"
    authors = {r.author_id for r in canvas.revisions.all()}
    assert authors == {lea.lti_user.pk, hugo.lti_user.pk}


def test_two_members_changing_the_same_field_at_once_never_overwrite_each_other(dsl: Any) -> None:
    (lea, hugo, _ines), canvas = team_of_three(dsl)
    outcomes = _at_once(
        lambda: services.canvas_save(canvas=canvas, author=lea.lti_user, base_revision=0,
                                     values={"portrait": "Version de Léa", "commande": "L"}),
        lambda: services.canvas_save(canvas=canvas, author=hugo.lti_user, base_revision=0,
                                     values={"portrait": "Version de Hugo"}),
    )  # fmt: skip
    winner, loser = sorted(outcomes, key=lambda saved: len(saved.conflicts))
    assert winner.conflicts == () and loser.conflicts == ("portrait",)
    canvas.refresh_from_db()
    kept = canvas.fields["portrait"]
    assert kept in ("Version de Léa", "Version de Hugo")
    # The one who came second is told, with the other's version; their own text is not lost
    # (the page keeps it) and nothing of the first was overwritten.
    assert loser.their_values["portrait"] == kept
    assert canvas.revisions.filter(changed__contains=["portrait"]).count() == 1
    if kept == "Version de Hugo":
        assert canvas.fields["commande"] == "L"  # Léa's other field merged in all the same


def test_keeping_ones_version_after_a_conflict_is_an_explicit_second_save(dsl: Any) -> None:
    (lea, hugo, _ines), canvas = team_of_three(dsl)
    services.canvas_save(canvas=canvas, author=lea.lti_user, base_revision=0,
                         values={"portrait": "Léa"})  # fmt: skip
    clash = services.canvas_save(canvas=canvas, author=hugo.lti_user, base_revision=0,
                                 values={"portrait": "Hugo"})  # fmt: skip
    assert clash.conflicts == ("portrait",) and clash.their_authors["portrait"] == [
        lea.lti_user.display_name
    ]
    kept = services.canvas_save(canvas=canvas, author=hugo.lti_user,
                                base_revision=clash.revision, values={"portrait": "Hugo"})  # fmt: skip
    assert not kept.conflicts and kept.fields["portrait"] == "Hugo"


def test_a_dilemma_card_is_answered_once_for_the_team(dsl: Any) -> None:
    (lea, hugo, _ines), canvas = team_of_three(dsl)
    first = services.dilemma_choose(canvas=canvas, author=lea.lti_user,
                                    card_id="reunion-vide", option_id="aller-vers")  # fmt: skip
    second = services.dilemma_choose(canvas=canvas, author=hugo.lti_user,
                                     card_id="reunion-vide", option_id="conclure")  # fmt: skip
    assert not first.repeated and second.repeated
    assert second.choice.option_id == "aller-vers" and second.choice.chosen_by == lea.lti_user
    with pytest.raises(ValidationFailed):
        services.dilemma_choose(canvas=canvas, author=lea.lti_user, card_id="inconnue",
                                option_id="x")  # fmt: skip


def _submitted(demo: Any, who: str, card_option: str) -> tuple[Launched, Canvas]:
    student, canvas = started(demo, who)
    services.canvas_save(canvas=canvas, author=student.lti_user, base_revision=0,
                         values=complete_fields())  # fmt: skip
    services.dilemma_choose(canvas=canvas, author=student.lti_user,
                            card_id="diagnostic-express", option_id=card_option)  # fmt: skip
    canvas.refresh_from_db()
    services.canvas_submit(canvas=canvas, author=student.lti_user, revision=canvas.revision)
    canvas.refresh_from_db()
    return student, canvas


def test_after_submission_saves_and_choices_are_refused_with_409(dsl: Any) -> None:
    student, canvas = _submitted(dsl, "lea.bernard", "negocier")
    with pytest.raises(services.CanvasLocked) as caught:
        services.canvas_save(canvas=canvas, author=student.lti_user,
                             base_revision=canvas.revision, values={"portrait": "Après"})  # fmt: skip
    assert caught.value.status_code == 409
    with pytest.raises(services.CanvasLocked):
        services.dilemma_choose(canvas=canvas, author=student.lti_user, card_id="reunion-vide",
                                option_id="conclure")  # fmt: skip
    with pytest.raises(services.CanvasLocked):
        services.canvas_submit(canvas=canvas, author=student.lti_user, revision=canvas.revision)
    canvas.refresh_from_db()
    assert "Après" not in str(canvas.fields)


def test_a_submission_started_from_an_old_revision_is_refused(dsl: Any) -> None:
    student, canvas = started(dsl, "lea.bernard")
    services.canvas_save(canvas=canvas, author=student.lti_user, base_revision=0,
                         values=complete_fields())  # fmt: skip
    with pytest.raises(Conflict, match="a changé depuis"):
        services.canvas_submit(canvas=canvas, author=student.lti_user, revision=0)


def _grade(canvas: Canvas, trainer: Launched, levels: dict[str, str]) -> services.Reviewed:
    entries = [services.ReviewEntry(code, level) for code, level in levels.items()]
    return services.canvas_review_save(canvas=canvas, trainer=trainer.lti_user, entries=entries)


def test_the_dilemma_score_blends_at_alpha_inside_its_criterion_only(dsl: Any) -> None:
    lea, good = _submitted(dsl, "lea.bernard", "negocier")  # DIAG 4, MED 3
    _hugo, poor = _submitted(dsl, "hugo.petit", "accepter")  # DIAG 1, MED 1
    trainer = launch_dsl(dsl, "trainer")
    brief = brief_for(lea)
    levels = {c.code: "2" for c in brief.criteria}
    graded = {name: _grade(canvas, trainer, levels).grade for name, canvas in
              (("good", good), ("poor", poor))}  # fmt: skip
    by = {name: {c.criterion: c.score for c in grade.criteria} for name, grade in graded.items()}
    # DSL-DIAG: 0.8 × 2/4 + 0.2 × 4/4 = 0.6 and 0.8 × 0.5 + 0.2 × 0.25 = 0.45
    assert by["good"]["DSL-DIAG"] == Decimal("0.6") and by["poor"]["DSL-DIAG"] == Decimal("0.45")
    assert by["good"]["DSL-MED"] == Decimal("0.55") and by["poor"]["DSL-MED"] == Decimal("0.45")
    for code in by["good"]:
        if code not in ("DSL-DIAG", "DSL-MED"):
            assert by["good"][code] == by["poor"][code] == Decimal("0.5"), code
    # No cross-domain leakage: DC1 and DC3 (no card feeds them) are the same for both.
    for domain in ("DC1", "DC3"):
        assert graded["good"].domains[domain].score_20 == graded["poor"].domains[domain].score_20
    assert graded["good"].domains["DC1"].score_20 == Decimal("10.00")
    stored = DomainResult.objects.get(assessment__lti_user=lea.lti_user, domain_code="DC2")
    assert stored.status == "to_review"
    assert stored.score_20 == graded["good"].domains["DC2"].score_20


def test_a_criterion_the_trainer_leaves_ne_stays_ne_despite_its_automatic_score(dsl: Any) -> None:
    _lea, canvas = _submitted(dsl, "lea.bernard", "negocier")
    trainer = launch_dsl(dsl, "trainer")
    reviewed = _grade(canvas, trainer, {"DSL-TER": "4", "DSL-MED": "ne"})
    assert set(reviewed.grade.domains) == {"DC4"}  # DC2 (DIAG fed by the card) has no result
    assert reviewed.grade.domains["DC4"].score_20 == Decimal("20.00")
    assert not CriterionScore.objects.filter(criterion_code="DSL-DIAG").exists()
    assert set(DomainResult.objects.values_list("domain_code", flat=True)) == {"DC4"}
