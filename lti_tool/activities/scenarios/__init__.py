"""Group-dynamics branching scenarios (issue 5; domain.md §5).

* ``content``: reading and checking a scenario file (format ``atelier-scenario/1``,
  documented in ``data/README.md``) into the plain JSON stored on ``ActivityVersion``.
* ``engine``: playing a validated scenario (pure functions on frozen data) and turning a
  path into grading evidence.

Both are pure: no ORM, no request. Publishing lives in ``lti_tool.activities.services``.
"""
