"""The LTI 1.3 boundary: the only package that imports pylti1p3 (style rule 4)."""
