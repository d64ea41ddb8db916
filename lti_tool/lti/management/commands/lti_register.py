"""Register a platform from the command line (scripted installs); idempotent."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from lti_tool.lti.forms import ManualRegistrationForm
from lti_tool.lti.models import Registration
from lti_tool.lti.registration_services import (
    deployment_set_active,
    registration_set_active,
    registration_upsert,
)

OPTION_FIELDS = {
    "issuer": "issuer",
    "client_id": "client_id",
    "jwks_url": "key_set_url",
    "token_url": "auth_token_url",
    "auth_url": "auth_login_url",
}


class Command(BaseCommand):
    help = (
        "Enregistre (ou met à jour) une plateforme LTI 1.3 avec les valeurs que Moodle "
        "affiche ; --deactivate la désactive (ou seulement les déploiements donnés)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--name", default="", help="Nom affiché (défaut : l'hôte).")
        parser.add_argument("--issuer", required=True, help="Platform ID (iss).")
        parser.add_argument("--client-id", required=True, help="Client ID.")
        parser.add_argument(
            "--deployment-id",
            action="append",
            default=[],
            help="Deployment ID (répétable).",
        )
        parser.add_argument("--jwks-url", default="", help="Public keyset URL.")
        parser.add_argument("--token-url", default="", help="Access token URL.")
        parser.add_argument("--auth-url", default="", help="Authentication request URL.")
        parser.add_argument(
            "--deactivate",
            action="store_true",
            help="Désactive la plateforme, ou seulement les --deployment-id donnés.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["deactivate"]:
            self._deactivate(options)
            return
        deployment_ids = [d.strip() for d in options["deployment_id"] if d.strip()]
        if not deployment_ids:
            raise CommandError("--deployment-id est obligatoire (Deployment ID de Moodle).")
        form = ManualRegistrationForm(
            data={
                "name": options["name"],
                "deployment_id": deployment_ids[0],
                **{field: options[option] for option, field in OPTION_FIELDS.items()},
            }
        )
        if not form.is_valid():
            raise CommandError(_form_errors(form))
        for warning in form.warnings:
            self.stderr.write(self.style.WARNING(warning))
        outcome = registration_upsert(
            values=form.registration_values(),
            source=Registration.Source.MANUAL,
            deployment_ids=deployment_ids,
        )
        registration = outcome.registration
        verb = "created" if outcome.created else "updated"
        self.stdout.write(
            f"{verb} registration {registration.pk}: {registration.issuer} "
            f"client_id={registration.client_id} "
            f"deployments={','.join(registration.deployments.values_list('deployment_id', flat=True))}"
        )

    def _deactivate(self, options: dict[str, Any]) -> None:
        registration = Registration.objects.filter(
            issuer=options["issuer"].strip().rstrip("/"), client_id=options["client_id"].strip()
        ).first()
        if registration is None:
            raise CommandError("Aucune plateforme enregistrée avec cet issuer et ce client id.")
        if not options["deployment_id"]:
            registration_set_active(registration=registration, active=False)
            self.stdout.write(f"deactivated registration {registration.pk}: {registration.issuer}")
            return
        for deployment_id in options["deployment_id"]:
            deployment = registration.deployments.filter(deployment_id=deployment_id).first()
            if deployment is None:
                raise CommandError(f"Déploiement inconnu : {deployment_id}")
            deployment_set_active(deployment=deployment, active=False)
            self.stdout.write(f"deactivated deployment {deployment_id} of {registration.issuer}")


def _form_errors(form: ManualRegistrationForm) -> str:
    option_of = {field: option for option, field in OPTION_FIELDS.items()}
    lines = [
        f"--{option_of.get(field, field).replace('_', '-')}: {' '.join(str(e) for e in errors)}"
        for field, errors in form.errors.items()
    ]
    return "Valeurs refusées :\n" + "\n".join(lines)
