"""Label selectors: Calico's selector language and Kubernetes LabelSelectors.

Everything else in posture evaluates selectors through this API::

    from posture.selectors import parse, Selector, ALL, and_

    sel = parse("app == 'web' && has(tier)")   # SelectorError names the column when invalid
    sel.matches({"app": "web", "tier": "1"})    # compiled closure, cheap to call
    str(sel), sel.uid                           # canonical form and Calico's UID

Kubernetes LabelSelectors are translated to Calico selector strings by
``posture.selectors.k8s.label_selector_to_calico`` exactly as Calico's converter does.
"""

from __future__ import annotations

from posture.selectors.calico import ALL, Selector, and_, parse

__all__ = ["ALL", "Selector", "and_", "parse"]
