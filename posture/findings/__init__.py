"""Findings: small rules with stable IDs that turn the analysis into answers for operators."""
