"""LTI 1.3 tool settings (design.md §6)."""

from __future__ import annotations

from config.env import BASE_DIR, env

# Where the tool's RSA key pairs live (git-ignored; keys/README.md).
LTI_KEYS_DIR = env.path("LTI_KEYS_DIR", default=str(BASE_DIR / "keys"))
# How long a rotated-out key stays in the JWKS so platforms holding a cached copy
# still verify our assertions (LTI Security Framework §6.4, key rotation).
LTI_KEY_GRACE_SECONDS = env.int("LTI_KEY_GRACE_SECONDS", default=7 * 24 * 3600)
# Clock skew accepted on id_token exp/iat (Moodle issues exp = iat + 60).
LTI_CLOCK_LEEWAY_SECONDS = env.int("LTI_CLOCK_LEEWAY_SECONDS", default=10)
# Lifetime of the OIDC state+nonce kept server-side between login and launch.
LTI_STATE_TTL_SECONDS = env.int("LTI_STATE_TTL_SECONDS", default=600)
# Lifetime of the opaque launch id the browser carries after a launch.
LTI_LAUNCH_TTL_SECONDS = env.int("LTI_LAUNCH_TTL_SECONDS", default=4 * 3600)
# How long a platform JWKS is trusted before it is fetched again.
LTI_PLATFORM_JWKS_TTL_SECONDS = env.int("LTI_PLATFORM_JWKS_TTL_SECONDS", default=3600)
# Timeout of every outgoing HTTP call to a platform (JWKS, registration, AGS, NRPS).
LTI_HTTP_TIMEOUT_SECONDS = env.float("LTI_HTTP_TIMEOUT_SECONDS", default=10.0)
# Public base URL of the tool (scheme://host[:port]) when it cannot be read from the
# request, e.g. in management commands run behind a proxy.
LTI_TOOL_BASE_URL = env.str("ATELIER_BASE_URL", default="")

# Where a validated launch lands, by role (URL names taking one pk). Set here rather than
# in lti/ so that the protocol layer never imports the activities above it (design.md §2).
LTI_LAUNCH_DESTINATIONS = {
    "trainer": "activities:course_home",
    "student": "activities:resource_link",
    # Deep Linking 2.0 §4.4: the catalogue (no pk: the launch says everything).
    "deep_linking": "activities:catalogue",
}
# Called with the launch of a trainer on a resource link; returns the path to open first
# (a link not bound to an activity yet opens the catalogue) or None for the course page.
LTI_TRAINER_LINK_LANDING = "lti_tool.activities.catalogue_views.trainer_link_landing"
