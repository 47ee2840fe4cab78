"""Reachability over equivalence classes of endpoints.

Endpoints that every selector, net and named port sees alike, on nodes that host-endpoint policy
and Felix settings treat alike, get the same verdicts; the matrix is computed once per pair of
classes, over whole flow spaces (port interval sets), never per pod pair or per port.
"""
