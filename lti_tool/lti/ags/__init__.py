"""Assignment and Grade Services 2.0: the client (``client``), line items stored per
(resource link, domain) (``line_items``) and the error types (re-exported here).

The protocol layer knows nothing of grading: a "domain code" is an opaque string.
"""

from lti_tool.lti.ags.errors import (
    AccessTokenRefused,
    AccessTokenUnavailable,
    AgsConflict,
    AgsConnectionError,
    AgsError,
    AgsNotAvailable,
    AgsPermanentError,
    AgsTimeout,
    AgsTransientError,
    AgsUnauthorized,
    ScoreTimestampTooSoon,
)

__all__ = [
    "AccessTokenRefused",
    "AccessTokenUnavailable",
    "AgsConflict",
    "AgsConnectionError",
    "AgsError",
    "AgsNotAvailable",
    "AgsPermanentError",
    "AgsTimeout",
    "AgsTransientError",
    "AgsUnauthorized",
    "ScoreTimestampTooSoon",
]
