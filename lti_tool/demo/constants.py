"""The LTI vocabulary as the built-in platform speaks it.

The demo plays Moodle and talks to the tool only over HTTP, so it may not import
``lti_tool.lti`` (design.md §2): it names the spec's URIs itself, once, here. Keeping a
second, independent copy is deliberate: a typo in the tool's constants shows up as a
failed launch against this platform instead of being shared by both sides.

Sources: LTI 1.3 Core, AGS 2.0, NRPS 2.0, Deep Linking 2.0, Dynamic Registration 1.0
(https://www.imsglobal.org/spec/lti/v1p3/ and the Advantage specs it links).
"""

from __future__ import annotations

from enum import StrEnum

LTI_VERSION = "1.3.0"
JWT_ALGORITHM = "RS256"
RSA_KEY_SIZE = 2048

# Moodle 4.3 timings (shared/moodle.md): id_token valid one minute, access tokens an
# hour, registration tokens an hour.
ID_TOKEN_LIFETIME_SECONDS = 60
ACCESS_TOKEN_LIFETIME_SECONDS = 3600
REGISTRATION_TOKEN_LIFETIME_SECONDS = 3600
# How long a launch button stays usable (Moodle keeps the launch in the session).
MESSAGE_HINT_MAX_AGE_SECONDS = 3600

# What Moodle 4.3 says about itself in tool_platform and the openid configuration.
PRODUCT_FAMILY_CODE = "moodle"
PRODUCT_VERSION = "4.3 (Build: 20231009)"

CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
REGISTRATION_CLOSE_SUBJECT = "org.imsglobal.lti.close"
FORM_URLENCODED = "application/x-www-form-urlencoded"
COURSE_OFFERING = "http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"


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
    EXT = "https://purl.imsglobal.org/spec/lti/claim/ext"
    AGS_ENDPOINT = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
    NRPS = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
    DEEP_LINKING_SETTINGS = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
    DL_CONTENT_ITEMS = "https://purl.imsglobal.org/spec/lti-dl/claim/content_items"
    DL_DATA = "https://purl.imsglobal.org/spec/lti-dl/claim/data"
    DL_MSG = "https://purl.imsglobal.org/spec/lti-dl/claim/msg"
    DL_ERRORMSG = "https://purl.imsglobal.org/spec/lti-dl/claim/errormsg"
    TOOL_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-tool-configuration"
    PLATFORM_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-platform-configuration"


class MessageType(StrEnum):
    RESOURCE_LINK = "LtiResourceLinkRequest"
    DEEP_LINKING = "LtiDeepLinkingRequest"
    DEEP_LINKING_RESPONSE = "LtiDeepLinkingResponse"


class Role(StrEnum):
    """Full role URIs as launches carry them (LTI 1.3 §A.2)."""

    LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
    INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
    ADMINISTRATOR = "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator"


class Scope(StrEnum):
    AGS_LINEITEM = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
    AGS_LINEITEM_READONLY = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly"
    AGS_RESULT_READONLY = "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly"
    AGS_SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
    NRPS_MEMBERSHIP_READONLY = (
        "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
    )


AGS_SCOPES = (
    Scope.AGS_LINEITEM,
    Scope.AGS_LINEITEM_READONLY,
    Scope.AGS_RESULT_READONLY,
    Scope.AGS_SCORE,
)
SUPPORTED_SCOPES = (*AGS_SCOPES, Scope.NRPS_MEMBERSHIP_READONLY)


class MediaType(StrEnum):
    """Compared exactly, as Moodle does (shared/moodle.md, AGS)."""

    LINEITEM_CONTAINER = "application/vnd.ims.lis.v2.lineitemcontainer+json"
    LINEITEM = "application/vnd.ims.lis.v2.lineitem+json"
    SCORE = "application/vnd.ims.lis.v1.score+json"
    RESULT_CONTAINER = "application/vnd.ims.lis.v2.resultcontainer+json"
    NRPS_MEMBERSHIP = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"


class GradingProgress(StrEnum):
    """AGS 2.0 §3.4.6; only FULLY_GRADED writes a grade in Moodle."""

    FULLY_GRADED = "FullyGraded"
    PENDING = "Pending"
    PENDING_MANUAL = "PendingManual"
    FAILED = "Failed"
    NOT_READY = "NotReady"


class ActivityProgress(StrEnum):
    INITIALIZED = "Initialized"
    STARTED = "Started"
    IN_PROGRESS = "InProgress"
    SUBMITTED = "Submitted"
    COMPLETED = "Completed"


# Custom-parameter substitutions Moodle announces and expands (LTI 1.3 §A.3 subset).
SUBSTITUTION_VARIABLES = (
    "$User.id",
    "$User.username",
    "$Person.name.full",
    "$Person.name.given",
    "$Person.name.family",
    "$Person.email.primary",
    "$Context.id",
    "$Context.label",
    "$Context.title",
    "$ResourceLink.id",
    "$ResourceLink.title",
    "$CourseSection.timeFrame.begin",
    "$CourseSection.timeFrame.end",
)
