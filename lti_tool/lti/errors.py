"""Why a launch is refused, in words an admin can act on (LTI 1.3 §5.1.3, Security §5.1.3).

Each refusal has a stable ``code`` (logged, shown on the page, asserted by the tests) and
a translated message. Tokens are never logged.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from lti_tool.core.exceptions import ApplicationError, UpstreamUnavailable

_MESSAGES: dict[str, Any] = {
    "login_param_missing": _(
        "La demande de connexion LTI est incomplète : le paramètre « %(param)s » manque. "
        "Vérifiez l'URL de connexion (login) configurée dans la plateforme."
    ),
    "platform_unknown": _(
        "Cette plateforme (émetteur « %(iss)s », client « %(client_id)s ») n'est pas "
        "enregistrée dans Atelier. Un administrateur doit l'enregistrer (dynamiquement ou "
        "manuellement) avant le premier lancement."
    ),
    "platform_ambiguous": _(
        "Plusieurs enregistrements existent pour l'émetteur « %(iss)s » et la plateforme "
        "n'a pas envoyé de client_id : impossible de choisir. Vérifiez la configuration."
    ),
    "platform_inactive": _(
        "L'enregistrement de la plateforme « %(name)s » est désactivé dans Atelier. "
        "Un administrateur peut le réactiver dans l'écran des enregistrements."
    ),
    "target_link_uri_foreign": _(
        "L'adresse de lancement demandée (« %(uri)s ») ne pointe pas vers cet Atelier "
        "(%(host)s). Vérifiez l'URL de l'outil dans la plateforme."
    ),
    "state_missing": _("La réponse de la plateforme ne contient pas de paramètre « state »."),
    "state_unknown": _(
        "Cette connexion LTI a expiré ou a déjà été utilisée. Relancez l'activité depuis "
        "votre cours."
    ),
    "id_token_missing": _("La plateforme n'a pas envoyé de jeton d'identité (id_token)."),
    "id_token_malformed": _("Le jeton d'identité reçu n'est pas un JWT lisible."),
    "alg_not_allowed": _(
        "Le jeton d'identité est signé avec l'algorithme « %(alg)s » ; seul RS256 est accepté."
    ),
    "kid_missing": _("L'en-tête du jeton d'identité n'indique pas de clé (kid)."),
    "kid_unknown": _(
        "La clé « %(kid)s » qui a signé le jeton est absente du jeu de clés publié par la "
        "plateforme (%(url)s)."
    ),
    "signature_invalid": _(
        "La signature du jeton d'identité ne correspond pas à la clé publique de la plateforme."
    ),
    "iss_mismatch": _(
        "Le jeton vient de l'émetteur « %(iss)s » alors que la connexion a été ouverte par "
        "« %(expected)s »."
    ),
    "aud_mismatch": _(
        "Le jeton n'est pas destiné à Atelier : son audience ne contient pas notre client_id "
        "« %(client_id)s »."
    ),
    "azp_missing": _(
        "Le jeton a plusieurs destinataires mais pas de champ « azp » : il est refusé "
        "(OpenID Connect Core §2)."
    ),
    "azp_mismatch": _("Le champ « azp » du jeton (« %(azp)s ») n'est pas notre client_id."),
    "token_expired": _(
        "Le jeton d'identité a expiré. Les horloges de la plateforme et d'Atelier sont "
        "peut-être décalées ; relancez l'activité."
    ),
    "token_not_yet_valid": _(
        "Le jeton d'identité est daté dans le futur : l'horloge de la plateforme est en "
        "avance sur celle d'Atelier."
    ),
    "claim_missing": _("Le jeton d'identité ne contient pas le champ obligatoire « %(claim)s »."),
    "nonce_missing": _("Le jeton d'identité ne contient pas de nonce."),
    "nonce_mismatch": _("Le nonce du jeton ne correspond pas à la connexion en cours."),
    "nonce_replayed": _(
        "Ce jeton d'identité a déjà servi : un jeton ne peut être utilisé qu'une fois."
    ),
    "version_invalid": _("Version LTI « %(version)s » non prise en charge : 1.3.0 est attendue."),
    "message_type_unsupported": _("Type de message LTI « %(type)s » non pris en charge."),
    "message_invalid": _("Le message LTI est incomplet : %(detail)s."),
    "deployment_missing": _("Le jeton d'identité n'indique pas de déploiement (deployment_id)."),
    "deployment_pending": _(
        "Le déploiement « %(deployment_id)s » de la plateforme « %(name)s » n'est pas encore "
        "accepté dans Atelier. Un administrateur doit l'accepter dans l'écran des "
        "enregistrements ; relancez ensuite l'activité."
    ),
    "sub_missing": _("Le jeton d'identité n'identifie pas l'utilisateur (sub)."),
    "resource_link_missing": _("Le lancement n'indique pas l'activité (resource_link.id)."),
    "deep_linking_role": _(
        "La sélection de contenu (deep linking) est réservée aux formateur·rices du cours ; "
        "votre rôle (%(roles)s) ne le permet pas."
    ),
    "role_unsupported": _(
        "Votre rôle dans ce cours (%(roles)s) ne donne accès ni à l'espace formateur ni aux "
        "activités étudiantes."
    ),
}


class LaunchRefused(ApplicationError):
    status_code = 400
    code = "launch_refused"

    def __init__(self, code: str, status_code: int = 400, **params: Any) -> None:
        template = _MESSAGES[code]
        super().__init__(
            str(template) % params if params else str(template),
            code=code,
            status_code=status_code,
            extra={"reason": code},
        )


class PlatformKeysUnavailable(UpstreamUnavailable):
    code = "platform_keys_unavailable"
    default_message = _(
        "Le jeu de clés publiques de la plateforme est injoignable ou illisible ; "
        "réessayez dans un instant ou vérifiez l'URL du jeu de clés."
    )
