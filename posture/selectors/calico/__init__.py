"""Calico's selector language: tokenizer → parser → AST → compiled matcher.

Ground truth is ``libcalico-go/lib/selector`` of projectcalico/calico (v3.30+ tokenizer); see
calico-semantics.md §3.1, §3.2 and §3.6 for the rules and where each one comes from.
"""

from __future__ import annotations

from posture.selectors.calico.selector import ALL, Selector, and_, calico_uid, parse

__all__ = ["ALL", "Selector", "and_", "calico_uid", "parse"]
