"""Activities to choose from in the catalogue tests, published through the publishing
service (the same path as the shipped scenarios), and a trainer's way through the
catalogue over real HTTP."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

from lti_tool.activities.models import ActivityVersion
from lti_tool.activities.services import scenario_publish_text
from lti_tool.grading.frameworks.services import frameworks_load
from tests.lti.flow import AuthResponse, login_and_authorize, parse_form, post_launch, resign

QUARTIER = "essai-diagnostic-quartier"
REUNION = "essai-reunion-partenaires"
PARENTS = "essai-parole-parents"


def scenario_yaml(
    *,
    slug: str,
    title: str,
    summary: str,
    unit: str,
    criteria: list[tuple[str, str, str]],
    minutes: int = 15,
) -> str:
    """A small valid scenario: one situation, one decision scoring every criterion, two
    endings. ``criteria`` are (code, domain, competence), the first domain first."""
    lines = "\n".join(
        f'  - {{code: {code}, domain: {domain}, competences: [{competence}], weight: 1, label: "{code}"}}'
        for code, domain, competence in criteria
    )
    best = ", ".join(f"{code}: 3" for code, _d, _c in criteria)
    worst = ", ".join(f"{code}: 0" for code, _d, _c in criteria)
    return (
        textwrap.dedent(
            f"""
            format: atelier-scenario/1
            slug: {slug}
            title: "{title}"
            summary: "{summary}"
            languages: [fr]
            training_unit: "{unit}"
            framework: {{code: DECESF-2018, version: 1}}
            estimated_minutes: {minutes}
            review: false
            criteria:
            """
        ).lstrip()
        + lines
        + "\n"
        + textwrap.dedent(
            f"""
            context: "Un contexte de test."
            start: accueil
            nodes:
              - id: accueil
                kind: situation
                title: "Accueil"
                text: "La séance commence."
                next: d1
              - id: d1
                kind: decision
                title: "Que faites-vous ?"
                text: "Le groupe attend."
                choices:
                  - id: a
                    label: "Reformuler"
                    feedback: "Bien."
                    scores: {{{best}}}
                    next: fin-a
                  - id: b
                    label: "Ignorer"
                    feedback: "Dommage."
                    scores: {{{worst}}}
                    next: fin-b
              - id: fin-a
                kind: ending
                title: "Fin A"
                text: "Le groupe avance."
              - id: fin-b
                kind: ending
                title: "Fin B"
                text: "Le groupe se tait."
            """
        )
    )


def publish(text: str, name: str = "essai.yaml") -> ActivityVersion:
    version: ActivityVersion = scenario_publish_text(text=text, source_name=name).version
    return version


def catalogue_published() -> dict[str, ActivityVersion]:
    """Three scenarios; the « quartier » one twice (only its version 2 is offered)."""
    # Flushing tests (live_server) may have emptied the framework tables: load again.
    frameworks_load()
    quartier = {
        "slug": QUARTIER,
        "title": "Diagnostic partagé d'un quartier",
        "summary": "Croiser les regards des habitants et des partenaires sur un quartier.",
        "unit": "Le diagnostic de territoire",
        "criteria": [("DQ-DON", "DC1", "DC1.1"), ("DQ-INT", "DC2", "DC2.3")],
        "minutes": 25,
    }
    publish(scenario_yaml(**quartier), "quartier.yaml")
    quartier_v2 = publish(
        scenario_yaml(**{**quartier, "summary": quartier["summary"] + " Version revue."}),
        "quartier.yaml",
    )
    reunion = publish(
        scenario_yaml(
            slug=REUNION,
            title="Réunion des partenaires",
            summary="Animer une réunion où chaque institution défend son périmètre.",
            unit="Le travail en réseau",
            criteria=[("RP-NEG", "DC4", "DC4.3"), ("RP-COM", "DC3", "DC3.1")],
            minutes=20,
        ),
        "reunion.yaml",
    )
    parents = publish(
        scenario_yaml(
            slug=PARENTS,
            title="Élan de parole au groupe de parents",
            summary="Un groupe de parents où la parole ne circule plus.",
            unit="Le travail social collectif",
            criteria=[("PP-LEC", "DC2", "DC2.3")],
            minutes=10,
        ),
        "parents.yaml",
    )
    return {QUARTIER: quartier_v2, REUNION: reunion, PARENTS: parents}


@dataclass
class CatalogueVisit:
    """A trainer inside the catalogue after a real deep-linking launch."""

    session: requests.Session
    base_url: str
    launch_id: str
    page: requests.Response
    request_claims: dict[str, Any]

    def url(self, path: str) -> str:
        return path if "://" in path else self.base_url + path

    def form(self, form_id: str = "catalogue-form") -> tuple[str, dict[str, str]]:
        return parse_form(self.page.text, form_id)


def deep_linking_launch(
    demo: Any, *, change: Callable[[dict[str, Any]], None] | None = None
) -> tuple[requests.Session, AuthResponse, requests.Response]:
    """The trainer's « Sélectionner du contenu » launch through the built-in platform;
    ``change`` edits the claims, re-signed with the platform's key (a platform that sends
    other settings or roles)."""
    session = requests.Session()
    url, fields = demo.login_fields("trainer", deep_linking=True)
    auth = login_and_authorize(session, url, fields)
    token = None
    if change is not None:
        claims = auth.claims
        change(claims)
        kid, pem = demo.signing_key()
        token = resign(claims, private_key=pem, kid=kid)
    return session, auth, post_launch(session, auth, id_token=token)


def catalogue_open(
    demo: Any, *, change: Callable[[dict[str, Any]], None] | None = None
) -> CatalogueVisit:
    """Launch the trainer with deep linking and open the page the tool sends them to."""
    session, auth, response = deep_linking_launch(demo, change=change)
    assert response.status_code == 303, response.text[:2000]
    location = response.headers["Location"]
    launch_id = parse_qs(urlsplit(location).query)["launch"][0]
    page = session.get(demo.absolute(location), timeout=10)
    return CatalogueVisit(session, demo.base_url, launch_id, page, auth.claims)
