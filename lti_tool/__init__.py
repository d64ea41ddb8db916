"""Atelier: an LTI 1.3 tool for collective social-work training."""
