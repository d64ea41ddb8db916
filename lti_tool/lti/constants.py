"""LTI 1.3 / LTI Advantage vocabulary, named once (style rule 5).

Sources: LTI 1.3 Core (https://www.imsglobal.org/spec/lti/v1p3/), AGS 2.0, NRPS 2.0,
Deep Linking 2.0, Dynamic Registration 1.0.
"""

from __future__ import annotations

from enum import StrEnum

LTI_VERSION = "1.3.0"
JWT_ALGORITHM = "RS256"  # LTI Security Framework §5.1.3: RSA 256 only.


class Claim(StrEnum):
    MESSAGE_TYPE = "https://purl.imsglobal.org/spec/lti/claim/message_type"
    VERSION = "https://purl.imsglobal.org/spec/lti/claim/version"
    DEPLOYMENT_ID = "https://purl.imsglobal.org/spec/lti/claim/deployment_id"
    TARGET_LINK_URI = "https://purl.imsglobal.org/spec/lti/claim/target_link_uri"
    RESOURCE_LINK = "https://purl.imsglobal.org/spec/lti/claim/resource_link"
    ROLES = "https://purl.imsglobal.org/spec/lti/claim/roles"
    CONTEXT = "https://purl.imsglobal.org/spec/lti/claim/context"
    TOOL_PLATFORM = "https://purl.imsglobal.org/spec/lti/claim/tool_platform"
    LAUNCH_PRESENTATION = "https://purl.imsglobal.org/spec/lti/claim/launch_presentation"
    CUSTOM = "https://purl.imsglobal.org/spec/lti/claim/custom"
    LIS = "https://purl.imsglobal.org/spec/lti/claim/lis"
    AGS_ENDPOINT = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
    NRPS = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
    DEEP_LINKING_SETTINGS = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
    DL_CONTENT_ITEMS = "https://purl.imsglobal.org/spec/lti-dl/claim/content_items"
    DL_DATA = "https://purl.imsglobal.org/spec/lti-dl/claim/data"
    DL_MSG = "https://purl.imsglobal.org/spec/lti-dl/claim/msg"
    DL_ERRORMSG = "https://purl.imsglobal.org/spec/lti-dl/claim/errormsg"
    # Dynamic Registration 1.0 §3.4 / §4
    TOOL_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-tool-configuration"
    PLATFORM_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-platform-configuration"


class MessageType(StrEnum):
    RESOURCE_LINK = "LtiResourceLinkRequest"
    DEEP_LINKING = "LtiDeepLinkingRequest"
    DEEP_LINKING_RESPONSE = "LtiDeepLinkingResponse"


class ContentItemType(StrEnum):
    """Deep Linking 2.0 §3: content item types (Moodle accepts ltiResourceLink only)."""

    LTI_RESOURCE_LINK = "ltiResourceLink"


class Role(StrEnum):
    """Full role URIs as launches carry them (LTI 1.3 §A.2)."""

    LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
    INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
    CONTENT_DEVELOPER = "http://purl.imsglobal.org/vocab/lis/v2/membership#ContentDeveloper"
    TEACHING_ASSISTANT = (
        "http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant"
    )
    MENTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Mentor"
    INSTITUTION_ADMINISTRATOR = (
        "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator"
    )
    INSTITUTION_INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Instructor"
    INSTITUTION_STUDENT = "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Student"
    SYSTEM_ADMINISTRATOR = "http://purl.imsglobal.org/vocab/lis/v2/system/person#Administrator"


def role_short_name(role: str) -> str:
    """``…/membership#Instructor`` → ``Instructor``; ``…/institution/person#Administrator``
    → ``Administrator (institution)``: readable, and still the spec's own words."""
    base, _, name = role.rpartition("#")
    if not name:
        return role
    if "/institution/" in base:
        return f"{name} (institution)"
    if "/system/" in base:
        return f"{name} (système)"
    return name.replace("/", " ")


# Roles that make someone a trainer (formateur) in a course; Moodle site admins
# arrive with the institution Administrator role (shared/moodle.md, Launch).
TRAINER_ROLES = frozenset(
    {
        Role.INSTRUCTOR,
        Role.TEACHING_ASSISTANT,
        Role.CONTENT_DEVELOPER,
        Role.INSTITUTION_ADMINISTRATOR,
        Role.SYSTEM_ADMINISTRATOR,
        Role.INSTITUTION_INSTRUCTOR,
    }
)
LEARNER_ROLES = frozenset({Role.LEARNER, Role.INSTITUTION_STUDENT})
# NRPS 2.0 §2.2 answers with short names ("Learner", "Instructor").
SHORT_ROLE_PREFIX = "http://purl.imsglobal.org/vocab/lis/v2/membership#"
# A short sub-role such as "Instructor#TeachingAssistant" expands under this prefix
# (LTI 1.3 §A.2.2: .../membership/Instructor#TeachingAssistant).
SHORT_SUBROLE_PREFIX = "http://purl.imsglobal.org/vocab/lis/v2/membership/"


class MemberStatus(StrEnum):
    """NRPS 2.0 §2.4 member status; absent means Active."""

    ACTIVE = "Active"
    INACTIVE = "Inactive"
    DELETED = "Deleted"


class Scope(StrEnum):
    AGS_LINEITEM = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
    AGS_LINEITEM_READONLY = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly"
    AGS_RESULT_READONLY = "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly"
    AGS_SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
    NRPS_MEMBERSHIP_READONLY = (
        "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
    )


TOOL_SCOPES = (
    Scope.AGS_LINEITEM,
    Scope.AGS_LINEITEM_READONLY,
    Scope.AGS_RESULT_READONLY,
    Scope.AGS_SCORE,
    Scope.NRPS_MEMBERSHIP_READONLY,
)


class MediaType(StrEnum):
    """Compared exactly by Moodle (shared/moodle.md, AGS)."""

    LINEITEM_CONTAINER = "application/vnd.ims.lis.v2.lineitemcontainer+json"
    LINEITEM = "application/vnd.ims.lis.v2.lineitem+json"
    SCORE = "application/vnd.ims.lis.v1.score+json"
    RESULT_CONTAINER = "application/vnd.ims.lis.v2.resultcontainer+json"
    NRPS_MEMBERSHIP = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"


CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
# postMessage that closes the platform's registration dialog (Dynamic Registration §3.5.2).
REGISTRATION_CLOSE_SUBJECT = "org.imsglobal.lti.close"


class DeepLinkingPlacement(StrEnum):
    """Where a platform may offer a deep-linking message (Dynamic Registration §3.3.2)."""

    CONTENT_AREA = "ContentArea"


# AGS 2.0 §3.3: one token with every AGS scope the tool uses, so that line-item and score
# calls share a single cached token per registration (shared/moodle.md, Access tokens).
AGS_SCOPES = (
    Scope.AGS_LINEITEM,
    Scope.AGS_LINEITEM_READONLY,
    Scope.AGS_RESULT_READONLY,
    Scope.AGS_SCORE,
)
# LTI Security Framework §4.1 / RFC 6749 §4.4: client credentials grant.
CLIENT_CREDENTIALS_GRANT = "client_credentials"
FORM_URLENCODED = "application/x-www-form-urlencoded"


class ActivityProgress(StrEnum):
    """AGS 2.0 §3.4.6 activityProgress."""

    INITIALIZED = "Initialized"
    STARTED = "Started"
    IN_PROGRESS = "InProgress"
    SUBMITTED = "Submitted"
    COMPLETED = "Completed"


class GradingProgress(StrEnum):
    """AGS 2.0 §3.4.7 gradingProgress. Only FullyGraded writes a grade in Moodle; the
    others clear it (shared/moodle.md, AGS)."""

    FULLY_GRADED = "FullyGraded"
    PENDING = "Pending"
    PENDING_MANUAL = "PendingManual"
    FAILED = "Failed"
    NOT_READY = "NotReady"
