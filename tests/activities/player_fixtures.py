"""A small scenario written for the player tests, and helpers to publish and place it.

The scenario is small enough to compute its grades by hand (see ``EXPECTED``):

    accueil (situation) → d1 ─ a → d2 ─ a → fin-collectif
                               │        └ b → fin-replie
                               ├ b → d2
                               └ c (ethics flag on GD-ETH) → fin-replie
"""

from __future__ import annotations

import textwrap
from decimal import Decimal
from typing import Any

from lti_tool.activities.models import ActivityVersion, Attempt, Placement
from lti_tool.activities.placements import placement_bind
from lti_tool.activities.player import attempt_choose, attempt_continue, attempt_start
from lti_tool.activities.scenarios.content import scenario_parse
from lti_tool.activities.selectors import scenario_of
from lti_tool.activities.services import activity_version_publish
from lti_tool.grading.rules import ActivityKind
from lti_tool.lti.models import LtiUser, ResourceLink

SLUG = "essai-groupe-parents"

SCENARIO_YAML = textwrap.dedent(
    f"""
    format: atelier-scenario/1
    slug: {SLUG}
    title: "Essai : la réunion des parents"
    summary: "Une réunion courte pour tester le lecteur de scénarios."
    languages: [fr]
    training_unit: "Le travail social collectif"
    framework: {{code: DECESF-2018, version: 1}}
    estimated_minutes: 5
    review: false
    criteria:
      - {{code: GD-LEC, domain: DC2, competences: [DC2.3], weight: 3, label: "Lit la dynamique du groupe"}}
      - {{code: GD-ETH, domain: DC2, competences: [DC2.1], weight: 2, label: "Éthique"}}
      - {{code: GD-PTN, domain: DC4, competences: [DC4.3], weight: 1, label: "Partenaires"}}
    context: "Vous animez la troisième séance d'un groupe de parents au centre social."
    state: {{conflit: 0}}
    start: accueil
    nodes:
      - id: accueil
        kind: situation
        title: "L'arrivée des parents"
        text: "Les parents s'installent.\\n\\nMme Leroy soupire bruyamment."
        speakers:
          - {{name: "Mme Sandrine Leroy", line: "Encore un atelier pour nous apprendre à compter…"}}
        next: d1
      - id: d1
        kind: decision
        title: "La remarque de Mme Leroy"
        text: "Le groupe attend votre réaction."
        choices:
          - id: a
            label: "Accueillir la remarque et la reformuler au groupe"
            feedback: "Vous traitez un signal collectif comme tel (phase de turbulence)."
            scores: {{GD-LEC: 3}}
            next: d2
          - id: b
            label: "Proposer d'en parler en privé après la séance"
            feedback: "Vous individualisez un signal collectif."
            scores: {{GD-LEC: 1, GD-ETH: 2}}
            state: {{conflit: 1}}
            next: d2
          - id: c
            label: "Raconter au groupe les difficultés financières de Mme Leroy"
            feedback: "Vous divulguez la situation d'une participante : faute déontologique."
            scores: {{GD-LEC: 2}}
            ethics_flag: {{criterion: GD-ETH, reason: "divulgation d'une situation personnelle"}}
            next: fin-replie
      - id: d2
        kind: decision
        title: "Les logements humides"
        text: "Les parents relient leurs factures à l'humidité des logements."
        choices:
          - id: a
            label: "Préparer avec eux une lettre collective au bailleur"
            feedback: "Faire avec, pas à la place : le groupe devient collectif."
            scores: {{GD-PTN: 3, GD-LEC: 2}}
            next: fin-collectif
          - id: b
            label: "Dire que ce n'est pas l'objet de l'atelier"
            feedback: "Le signal du groupe est ignoré."
            scores: {{GD-LEC: 1}}
            next: fin-replie
      - id: fin-collectif
        kind: ending
        title: "Un collectif émerge"
        text: "Les parents décident d'écrire ensemble au bailleur."
      - id: fin-replie
        kind: ending
        title: "Le groupe se replie"
        text: "La séance se termine dans un silence gêné."
    """
)

D = Decimal
# Hand-computed results (domain.md §4.2: s_c = Σ earned / Σ max over visited decisions,
# S = 20 × Σ w·s / Σ w within one domain).
EXPECTED = {
    # d1 a (LEC 3/3, ETH 0/3), d2 a (PTN 3/3, LEC 2/3): LEC 5/6, ETH 0/3, PTN 3/3
    # DC2 = 20 × (3×5/6 + 2×0) / 5 = 10 ; DC4 = 20 × 1 = 20
    ("a", "a"): {"DC2": D("10.00"), "DC4": D("20.00")},
    # d1 b (LEC 1/3, ETH 2/3), d2 b (PTN 0/3, LEC 1/3): LEC 2/6, ETH 2/3, PTN 0/3
    # DC2 = 20 × (3×1/3 + 2×2/3) / 5 = 9.333… ; DC4 = 0 (assessed, not absent)
    ("b", "b"): {"DC2": D("9.33"), "DC4": D("0.00")},
    # d1 c (LEC 2/3, ETH flagged → 0/3), then the ending: DC2 = 20 × (3×2/3) / 5 = 8;
    # d2 never visited → DC4 not assessed → no result at all.
    ("c",): {"DC2": D("8.00")},
}


def scenario_content() -> dict[str, Any]:
    return scenario_parse(SCENARIO_YAML, source_name="essai.yaml")


def version_publish(content: dict[str, Any] | None = None) -> ActivityVersion:
    """Publish the test scenario through the publishing service (idempotent)."""
    return activity_version_publish(
        kind=ActivityKind.SCENARIO, content=content or scenario_content(), source_name="essai.yaml"
    )


def placed(resource_link: ResourceLink, **settings: Any) -> Placement:
    return placement_bind(
        resource_link=resource_link, activity_version=version_publish(), **settings
    )


def play(placement: Placement, user: LtiUser, choices: tuple[str, ...]) -> Attempt:
    """Play ``choices`` in order from a fresh (or resumed) attempt, reading each situation."""
    attempt = attempt_start(placement=placement, lti_user=user)
    scenario = scenario_of(attempt.activity_version)
    for choice in choices:
        while scenario.node(attempt.current_node).kind == "situation":
            attempt = attempt_continue(attempt=attempt, step=attempt.step).attempt
        attempt = attempt_choose(attempt=attempt, step=attempt.step, choice_id=choice).attempt
    return attempt
