"""What Moodle 4.3 shows after a manual registration (its "tool details" block)."""

MOODLE_BLOCK = """Platform ID\thttps://moodle.example.fr
Client ID\tq8XkLmN3pR5sT7v
Deployment ID\t3
Public keyset URL\thttps://moodle.example.fr/mod/lti/certs.php
Access token URL\thttps://moodle.example.fr/mod/lti/token.php
Authentication request URL\thttps://moodle.example.fr/mod/lti/auth.php
"""
