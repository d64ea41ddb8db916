"""Plain values shared by the models, the loader and the data migration.

Kept apart from models.py so the data migration (which works on historical models) can use
them without importing the current model classes.
"""

from __future__ import annotations

from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"

# domain.md §0.4: a "domain" is a DC (2018 diploma) or a BC (bloc, 2025 reform).
DOMAIN_KIND_DC = "DC"
DOMAIN_KIND_BC = "BC"
DOMAIN_KINDS = (DOMAIN_KIND_DC, DOMAIN_KIND_BC)

STATUS_ACTIVE = "active"
STATUS_ARCHIVED = "archived"
STATUSES = (STATUS_ACTIVE, STATUS_ARCHIVED)

# domain.md §2.6: competences of DC3/DC4 are common to the five level-6 diplomas.
SOCLE_COMMON = "SC-COMMUNE"
