"""Exact network value types: port sets, IP address sets and protocol numbers.

Reachability on a large cluster is computed by combining these sets millions of times, so they
are represented as sorted tuples of disjoint, non-adjacent, inclusive integer intervals and every
set operation is a single linear merge over those tuples. Nothing here ever iterates over
individual ports or addresses: a set may be the full port range or the whole IPv6 space.

Because the interval tuples are kept canonical (sorted, disjoint, non-adjacent), two sets are
equal exactly when their tuples are equal, which makes ``==`` and ``hash`` cheap and exact.

Parsing follows Calico's ``numorstring`` package (``Port``, ``Protocol``) and Go's
``net.ParseCIDR`` as Calico uses it, so that what posture accepts is what Calico accepts.
"""

from __future__ import annotations

import ipaddress
import re
from bisect import bisect_right
from collections.abc import Iterable
from operator import itemgetter
from typing import ClassVar, Final, final

__all__ = [
    "PORTED_PROTOCOLS",
    "PROTOCOL_NUMBERS",
    "IPSet",
    "Interval",
    "Intervals",
    "PortSet",
    "ip_to_int",
    "parse_port_item",
    "parse_protocol",
    "protocol_name",
]

Interval = tuple[int, int]
"""An inclusive ``(lo, hi)`` range of integers, ``lo <= hi``."""

Intervals = tuple[Interval, ...]
"""A canonical interval list: sorted, pairwise disjoint and non-adjacent."""

MAX_PORT: Final = 65535
_MAX_V4: Final = (1 << 32) - 1
_MAX_V6: Final = (1 << 128) - 1
_FAMILY_BITS: Final = {4: 32, 6: 128}

_lo_of = itemgetter(0)


# --------------------------------------------------------------------------------------------
# Interval kernels. All inputs are canonical; all outputs are canonical. Each is linear in the
# number of intervals, never in the number of integers covered.
# --------------------------------------------------------------------------------------------


def _normalize(intervals: Iterable[Interval]) -> Intervals:
    """Sort arbitrary (possibly overlapping) intervals and coalesce overlaps and adjacency.

    Only used by constructors, where input order is arbitrary; O(n log n).
    """
    ordered = sorted(intervals)
    if not ordered:
        return ()
    out: list[Interval] = []
    lo, hi = ordered[0]
    for nlo, nhi in ordered:
        if nlo <= hi + 1:
            if nhi > hi:
                hi = nhi
        else:
            out.append((lo, hi))
            lo, hi = nlo, nhi
    out.append((lo, hi))
    return tuple(out)


def _union(a: Intervals, b: Intervals) -> Intervals:
    """Union of two canonical interval lists.

    ``sorted(a + b)`` is linear here: Timsort detects the two pre-sorted runs and does a single
    galloping merge in C, which beats a hand-written two-pointer merge in Python. The coalescing
    pass is then one loop over ``len(a) + len(b)`` items.
    """
    if not a or a is b:
        return b
    if not b:
        return a
    # Disjoint and ordered (the common case when adding a block at either end): concatenate.
    if a[-1][1] + 1 < b[0][0]:
        return a + b
    if b[-1][1] + 1 < a[0][0]:
        return b + a
    out: list[Interval] = []
    merged = sorted(a + b)
    lo, hi = merged[0]
    for nlo, nhi in merged:
        if nlo <= hi + 1:
            if nhi > hi:
                hi = nhi
        else:
            out.append((lo, hi))
            lo, hi = nlo, nhi
    out.append((lo, hi))
    return tuple(out)


def _intersect(a: Intervals, b: Intervals) -> Intervals:
    """Intersection of two canonical interval lists (two-pointer sweep).

    The output is non-adjacent without a coalescing pass: if ``x`` and ``x + 1`` were both in the
    result they would be in one interval of ``a`` and one interval of ``b`` (both canonical), and
    so in the same output piece.
    """
    if not a or not b:
        return ()
    if a is b:
        return a
    out: list[Interval] = []
    i = j = 0
    na, nb = len(a), len(b)
    while i < na and j < nb:
        alo, ahi = a[i]
        blo, bhi = b[j]
        lo = alo if alo > blo else blo
        hi = ahi if ahi < bhi else bhi
        if lo <= hi:
            out.append((lo, hi))
        if ahi < bhi:
            i += 1
        else:
            j += 1
    return tuple(out)


def _subtract(a: Intervals, b: Intervals) -> Intervals:
    """``a`` minus ``b`` for canonical interval lists (two-pointer sweep)."""
    if not a or not b:
        return a
    if a is b:
        return ()
    out: list[Interval] = []
    j = 0
    nb = len(b)
    for lo, hi in a:
        while j < nb and b[j][1] < lo:
            j += 1
        k = j
        while k < nb:
            blo, bhi = b[k]
            if blo > hi:
                break
            if blo > lo:
                out.append((lo, blo - 1))
            if bhi >= hi:
                lo = hi + 1
                break
            lo = bhi + 1
            k += 1
        if lo <= hi:
            out.append((lo, hi))
        # b[k] may extend past this interval of a and cut the next one too: do not skip it.
        j = k
    return tuple(out)


def _complement(a: Intervals, top: int) -> Intervals:
    """The gaps of ``a`` within ``[0, top]``."""
    out: list[Interval] = []
    nxt = 0
    for lo, hi in a:
        if lo > nxt:
            out.append((nxt, lo - 1))
        nxt = hi + 1
    if nxt <= top:
        out.append((nxt, top))
    return tuple(out)


def _is_subset(a: Intervals, b: Intervals) -> bool:
    """Whether every interval of ``a`` lies inside a single interval of ``b``."""
    j = 0
    nb = len(b)
    for lo, hi in a:
        while j < nb and b[j][1] < lo:
            j += 1
        if j == nb or b[j][0] > lo or b[j][1] < hi:
            return False
    return True


def _is_disjoint(a: Intervals, b: Intervals) -> bool:
    i = j = 0
    na, nb = len(a), len(b)
    while i < na and j < nb:
        alo, ahi = a[i]
        blo, bhi = b[j]
        if alo <= bhi and blo <= ahi:
            return False
        if ahi < bhi:
            i += 1
        else:
            j += 1
    return True


def _contains(a: Intervals, x: int) -> bool:
    idx = bisect_right(a, x, key=_lo_of) - 1
    return idx >= 0 and a[idx][1] >= x


def _size(a: Intervals) -> int:
    return sum(hi - lo + 1 for lo, hi in a)


# --------------------------------------------------------------------------------------------
# PortSet
# --------------------------------------------------------------------------------------------

_PORT_ITEM_RE: Final = re.compile(r"\s*([0-9]{1,5})\s*(?:-\s*([0-9]{1,5})\s*)?")


def _check_port(value: object, what: str = "port") -> int:
    # bool is an int subclass; True as "port 1" is always a bug in the caller.
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{what} must be an int, got {type(value).__name__} {value!r}")
    if not 0 <= value <= MAX_PORT:
        raise ValueError(f"{what} {value} out of range 0-{MAX_PORT}")
    return value


@final
class PortSet:
    """An immutable set of ports in ``[0, 65535]``, held as canonical inclusive intervals.

    Build with :meth:`of`, :meth:`range` or :meth:`parse`; combine with ``| & - ~``. The string
    form (``"80,443,8000-8080"``, ``"*"`` for all ports, ``"-"`` for none) is what reports show
    and :meth:`parse` reads back.
    """

    __slots__ = ("_hash", "_iv")

    FULL: ClassVar[PortSet]
    EMPTY: ClassVar[PortSet]

    _iv: Intervals
    _hash: int

    def __init__(self, intervals: Iterable[Interval] = ()) -> None:
        """Validate and canonicalize arbitrary ``(lo, hi)`` pairs (any order, may overlap)."""
        checked: list[Interval] = []
        for item in intervals:
            lo, hi = item
            _check_port(lo, "range start")
            _check_port(hi, "range end")
            if lo > hi:
                raise ValueError(f"port range start {lo} is greater than end {hi}")
            checked.append((lo, hi))
        object.__setattr__(self, "_iv", _normalize(checked))

    @classmethod
    def _raw(cls, iv: Intervals) -> PortSet:
        """Wrap an already-canonical interval tuple without validation (internal hot path)."""
        obj = object.__new__(cls)
        object.__setattr__(obj, "_iv", iv)
        return obj

    @classmethod
    def _wrap(cls, iv: Intervals) -> PortSet:
        # Reuse the shared constants so that the most common results allocate nothing.
        if not iv:
            return EMPTY_PORTS
        if iv == _FULL_PORT_IV:
            return FULL_PORTS
        return cls._raw(iv)

    # -- constructors -------------------------------------------------------------------------

    @classmethod
    def of(cls, *items: int | Interval) -> PortSet:
        """Ports and inclusive ``(lo, hi)`` ranges in any order: ``of(80, (8000, 8080))``."""
        pairs: list[Interval] = []
        for item in items:
            if isinstance(item, tuple):
                if len(item) != 2:
                    raise ValueError(f"port range must be a (lo, hi) pair, got {item!r}")
                pairs.append(item)
            else:
                port = _check_port(item)
                pairs.append((port, port))
        return cls._wrap(cls(pairs)._iv)

    @classmethod
    def range(cls, lo: int, hi: int) -> PortSet:
        """The inclusive range ``lo..hi``; ``lo > hi`` is an error, as in Calico port ranges."""
        return cls.of((lo, hi))

    @classmethod
    def parse(cls, text: str) -> PortSet:
        """Read the :func:`str` form back: ``"*"``, ``"-"`` or ``"80,443,8000-8080"``.

        Items may be in any order, overlap, and carry surrounding spaces; the result is canonical.
        """
        stripped = text.strip()
        if stripped == "*":
            return FULL_PORTS
        if stripped == "-":
            return EMPTY_PORTS
        pairs: list[Interval] = []
        for part in text.split(","):
            m = _PORT_ITEM_RE.fullmatch(part)
            if m is None:
                raise ValueError(
                    f"invalid port set {text!r}: item {part.strip()!r} is not a port or lo-hi range"
                )
            lo = int(m.group(1))
            hi = int(m.group(2)) if m.group(2) is not None else lo
            if hi > MAX_PORT or lo > MAX_PORT:
                raise ValueError(f"invalid port set {text!r}: port out of range 0-{MAX_PORT}")
            if lo > hi:
                raise ValueError(f"invalid port set {text!r}: range {lo}-{hi} has start > end")
            pairs.append((lo, hi))
        return cls._wrap(_normalize(pairs))

    # -- accessors ----------------------------------------------------------------------------

    @property
    def intervals(self) -> Intervals:
        """The canonical ``((lo, hi), ...)`` tuple (sorted, disjoint, non-adjacent, inclusive)."""
        return self._iv

    def size(self) -> int:
        """Number of ports in the set."""
        return _size(self._iv)

    def is_full(self) -> bool:
        return self._iv == _FULL_PORT_IV

    def issubset(self, other: PortSet) -> bool:
        return _is_subset(self._iv, other._iv)

    def isdisjoint(self, other: PortSet) -> bool:
        return _is_disjoint(self._iv, other._iv)

    # -- operators ----------------------------------------------------------------------------

    def __or__(self, other: PortSet) -> PortSet:
        if not isinstance(other, PortSet):
            return NotImplemented
        # Rules without ports yield FULL, so identity shortcuts on it pay off in the engine.
        if self is FULL_PORTS or other is FULL_PORTS:
            return FULL_PORTS
        iv = _union(self._iv, other._iv)
        if iv is self._iv:
            return self
        if iv is other._iv:
            return other
        return PortSet._wrap(iv)

    def __and__(self, other: PortSet) -> PortSet:
        if not isinstance(other, PortSet):
            return NotImplemented
        if other is FULL_PORTS:
            return self
        if self is FULL_PORTS:
            return other
        iv = _intersect(self._iv, other._iv)
        return self if iv is self._iv else PortSet._wrap(iv)

    def __sub__(self, other: PortSet) -> PortSet:
        if not isinstance(other, PortSet):
            return NotImplemented
        if other is FULL_PORTS:
            return EMPTY_PORTS
        iv = _subtract(self._iv, other._iv)
        return self if iv is self._iv else PortSet._wrap(iv)

    def __invert__(self) -> PortSet:
        return PortSet._wrap(_complement(self._iv, MAX_PORT))

    def __le__(self, other: PortSet) -> bool:
        if not isinstance(other, PortSet):
            return NotImplemented
        return _is_subset(self._iv, other._iv)

    def __bool__(self) -> bool:
        return bool(self._iv)

    def __contains__(self, port: object) -> bool:
        if not isinstance(port, int) or isinstance(port, bool):
            return False
        return _contains(self._iv, port)

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if isinstance(other, PortSet):
            return self._iv == other._iv
        return NotImplemented

    def __hash__(self) -> int:
        # Cached per instance (not globally): sets are used as dict keys in the engine.
        try:
            return self._hash
        except AttributeError:
            h = hash((PortSet, self._iv))
            object.__setattr__(self, "_hash", h)
            return h

    # -- immutability, pickling, text ---------------------------------------------------------

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"PortSet is immutable (cannot set {name!r})")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"PortSet is immutable (cannot delete {name!r})")

    def __reduce__(self) -> tuple[type[PortSet], tuple[Intervals]]:
        # Re-validate on unpickle: pickles may come from elsewhere.
        return (PortSet, (self._iv,))

    def __copy__(self) -> PortSet:
        return self

    def __deepcopy__(self, memo: object) -> PortSet:
        return self

    def __str__(self) -> str:
        iv = self._iv
        if not iv:
            return "-"
        if iv == _FULL_PORT_IV:
            return "*"
        return ",".join(str(lo) if lo == hi else f"{lo}-{hi}" for lo, hi in iv)

    def __repr__(self) -> str:
        return f"PortSet.parse({str(self)!r})"


_FULL_PORT_IV: Final[Intervals] = ((0, MAX_PORT),)
FULL_PORTS: Final = PortSet._raw(_FULL_PORT_IV)
EMPTY_PORTS: Final = PortSet._raw(())
PortSet.FULL = FULL_PORTS
PortSet.EMPTY = EMPTY_PORTS


# --------------------------------------------------------------------------------------------
# IP addresses
# --------------------------------------------------------------------------------------------

_PREFIX_RE: Final = re.compile(r"[0-9]{1,3}")


def _parse_address(text: str, context: str) -> tuple[int, int]:
    """``(family, value)`` of a bare IPv4/IPv6 address, with Go-like strictness.

    ``ipaddress`` is used for the textual grammar, but zone suffixes (``fe80::1%eth0``) are
    refused: Calico's addresses never carry one and they would silently alias another address.
    """
    if "%" in text:
        raise ValueError(f"invalid {context} {text!r}: zone/scope suffixes are not allowed")
    try:
        addr = ipaddress.ip_address(text)
    except ValueError:
        raise ValueError(f"invalid {context} {text!r}: not an IPv4 or IPv6 address") from None
    return addr.version, int(addr)


def ip_to_int(s: str) -> tuple[int, int]:
    """Parse an address to ``(family, value)`` with family 4 or 6; ``ValueError`` on garbage."""
    if not isinstance(s, str):
        raise TypeError(f"IP address must be a str, got {type(s).__name__}")
    return _parse_address(s, "IP address")


def _parse_cidr(text: str) -> tuple[int, Interval]:
    """``(family, (first, last))`` covered by a CIDR or bare address.

    Host bits are masked off rather than rejected (``10.0.0.1/24`` means ``10.0.0.0/24``), as
    Calico does via ``net.ParseCIDR``. Only the ``addr/len`` form is accepted; netmask forms such
    as ``10.0.0.0/255.0.0.0`` are not, because Go (and so Calico) rejects them.
    """
    if not isinstance(text, str):
        raise TypeError(f"CIDR must be a str, got {type(text).__name__} {text!r}")
    addr_text, slash, prefix_text = text.partition("/")
    family, value = _parse_address(addr_text, "CIDR")
    bits = _FAMILY_BITS[family]
    if not slash:
        return family, (value, value)
    if _PREFIX_RE.fullmatch(prefix_text) is None or int(prefix_text) > bits:
        raise ValueError(
            f"invalid CIDR {text!r}: prefix length must be an integer 0-{bits} for IPv{family}"
        )
    host = (1 << (bits - int(prefix_text))) - 1
    first = value & ~host
    return family, (first, first | host)


def _interval_cidrs(lo: int, hi: int, bits: int) -> Iterable[tuple[int, int]]:
    """Minimal ``(network, prefix_len)`` blocks exactly covering ``[lo, hi]``.

    Greedy from the low end: the largest block that is aligned at ``lo`` and fits. This is
    the standard optimal decomposition (at most ``2 * bits`` blocks per interval).
    """
    while lo <= hi:
        remaining = hi - lo + 1
        align = lo & -lo if lo else 1 << bits
        fit = 1 << (remaining.bit_length() - 1)
        block = align if align < fit else fit
        yield lo, bits - (block.bit_length() - 1)
        lo += block


def _check_intervals(intervals: Iterable[Interval], top: int, family: int) -> list[Interval]:
    checked: list[Interval] = []
    for lo, hi in intervals:
        if (
            not isinstance(lo, int)
            or not isinstance(hi, int)
            or isinstance(lo, bool)
            or isinstance(hi, bool)
        ):
            raise TypeError(f"IPv{family} interval bounds must be ints, got {(lo, hi)!r}")
        if not 0 <= lo <= hi <= top:
            raise ValueError(f"invalid IPv{family} interval {(lo, hi)!r}")
        checked.append((lo, hi))
    return checked


@final
class IPSet:
    """An immutable set of IPv4 and IPv6 addresses, as canonical intervals per family.

    The two families are kept apart (never mapped into one space) so that ``0.0.0.0/0`` never
    matches an IPv6 address, mirroring how Calico programs v4 and v6 rules separately.
    """

    __slots__ = ("_hash", "_v4", "_v6")

    EMPTY: ClassVar[IPSet]
    ALL: ClassVar[IPSet]

    _v4: Intervals
    _v6: Intervals
    _hash: int

    def __init__(self, v4: Iterable[Interval] = (), v6: Iterable[Interval] = ()) -> None:
        """Validate and canonicalize arbitrary integer intervals for each family."""
        object.__setattr__(self, "_v4", _normalize(_check_intervals(v4, _MAX_V4, 4)))
        object.__setattr__(self, "_v6", _normalize(_check_intervals(v6, _MAX_V6, 6)))

    @classmethod
    def _raw(cls, v4: Intervals, v6: Intervals) -> IPSet:
        obj = object.__new__(cls)
        object.__setattr__(obj, "_v4", v4)
        object.__setattr__(obj, "_v6", v6)
        return obj

    @classmethod
    def _wrap(cls, v4: Intervals, v6: Intervals) -> IPSet:
        if not v4 and not v6:
            return EMPTY_IPS
        return cls._raw(v4, v6)

    # -- constructors -------------------------------------------------------------------------

    @classmethod
    def from_cidrs(cls, cidrs: Iterable[str]) -> IPSet:
        """Union of CIDRs and bare addresses (IPv4 /32, IPv6 /128), mixed families allowed.

        Host bits are masked (``10.0.0.1/8`` == ``10.0.0.0/8``), as Calico does; anything that
        does not parse raises ``ValueError`` naming the offending string.
        """
        if isinstance(cidrs, str):
            raise TypeError("IPSet.from_cidrs() takes an iterable of CIDR strings, not one string")
        v4: list[Interval] = []
        v6: list[Interval] = []
        for text in cidrs:
            family, interval = _parse_cidr(text)
            (v4 if family == 4 else v6).append(interval)
        return cls._wrap(_normalize(v4), _normalize(v6))

    # -- accessors ----------------------------------------------------------------------------

    @property
    def v4_intervals(self) -> Intervals:
        """Canonical IPv4 intervals of 32-bit integers (for building lookup indexes)."""
        return self._v4

    @property
    def v6_intervals(self) -> Intervals:
        """Canonical IPv6 intervals of 128-bit integers (for building lookup indexes)."""
        return self._v6

    def families(self) -> frozenset[int]:
        """The address families (4, 6) that have at least one address in the set."""
        if self._v4:
            return _BOTH if self._v6 else _V4_ONLY
        return _V6_ONLY if self._v6 else _NEITHER

    def contains(self, ip: str | int, family: int | None = None) -> bool:
        """Membership of one address, given as text or as ``int`` plus ``family`` (4 or 6).

        A ``family`` given with a textual address must agree with it; one is required for ints.
        """
        if isinstance(ip, str):
            fam, value = _parse_address(ip, "IP address")
            if family is not None and family != fam:
                raise ValueError(f"address {ip!r} is IPv{fam}, not IPv{family}")
        else:
            if family is None or family not in _FAMILY_BITS:
                raise ValueError(f"family must be 4 or 6 for an integer address, got {family!r}")
            fam, value = family, ip
        return _contains(self._v4 if fam == 4 else self._v6, value)

    def issubset(self, other: IPSet) -> bool:
        return _is_subset(self._v4, other._v4) and _is_subset(self._v6, other._v6)

    def isdisjoint(self, other: IPSet) -> bool:
        return _is_disjoint(self._v4, other._v4) and _is_disjoint(self._v6, other._v6)

    def to_cidrs(self) -> list[str]:
        """The fewest CIDRs covering exactly this set: IPv4 first, then IPv6, each ascending.

        Minimal overall because the per-interval decomposition is minimal and no CIDR block can
        span the gap between two (non-adjacent) intervals.
        """
        out: list[str] = []
        for lo, hi in self._v4:
            for net, plen in _interval_cidrs(lo, hi, 32):
                out.append(f"{ipaddress.IPv4Address(net)}/{plen}")
        for lo, hi in self._v6:
            for net, plen in _interval_cidrs(lo, hi, 128):
                out.append(f"{ipaddress.IPv6Address(net)}/{plen}")
        return out

    # -- operators ----------------------------------------------------------------------------

    def __or__(self, other: IPSet) -> IPSet:
        if not isinstance(other, IPSet):
            return NotImplemented
        v4 = _union(self._v4, other._v4)
        v6 = _union(self._v6, other._v6)
        if v4 is self._v4 and v6 is self._v6:
            return self
        if v4 is other._v4 and v6 is other._v6:
            return other
        return IPSet._wrap(v4, v6)

    def __and__(self, other: IPSet) -> IPSet:
        if not isinstance(other, IPSet):
            return NotImplemented
        v4 = _intersect(self._v4, other._v4)
        v6 = _intersect(self._v6, other._v6)
        if v4 is self._v4 and v6 is self._v6:
            return self
        return IPSet._wrap(v4, v6)

    def __sub__(self, other: IPSet) -> IPSet:
        if not isinstance(other, IPSet):
            return NotImplemented
        v4 = _subtract(self._v4, other._v4)
        v6 = _subtract(self._v6, other._v6)
        if v4 is self._v4 and v6 is self._v6:
            return self
        return IPSet._wrap(v4, v6)

    def __invert__(self) -> IPSet:
        """Every address of both families not in this set."""
        return IPSet._wrap(_complement(self._v4, _MAX_V4), _complement(self._v6, _MAX_V6))

    def __le__(self, other: IPSet) -> bool:
        if not isinstance(other, IPSet):
            return NotImplemented
        return self.issubset(other)

    def __bool__(self) -> bool:
        return bool(self._v4) or bool(self._v6)

    def __contains__(self, ip: object) -> bool:
        """``"10.0.0.1" in s``. Non-strings are never members; malformed strings raise."""
        if not isinstance(ip, str):
            return False
        fam, value = _parse_address(ip, "IP address")
        return _contains(self._v4 if fam == 4 else self._v6, value)

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if isinstance(other, IPSet):
            return self._v4 == other._v4 and self._v6 == other._v6
        return NotImplemented

    def __hash__(self) -> int:
        try:
            return self._hash
        except AttributeError:
            h = hash((IPSet, self._v4, self._v6))
            object.__setattr__(self, "_hash", h)
            return h

    # -- immutability, pickling, text ---------------------------------------------------------

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"IPSet is immutable (cannot set {name!r})")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"IPSet is immutable (cannot delete {name!r})")

    def __reduce__(self) -> tuple[type[IPSet], tuple[Intervals, Intervals]]:
        return (IPSet, (self._v4, self._v6))

    def __copy__(self) -> IPSet:
        return self

    def __deepcopy__(self, memo: object) -> IPSet:
        return self

    def __str__(self) -> str:
        """Comma-joined minimal CIDRs; the empty set is the empty string."""
        return ",".join(self.to_cidrs())

    def __repr__(self) -> str:
        return f"IPSet.from_cidrs({self.to_cidrs()!r})"


_BOTH: Final = frozenset({4, 6})
_V4_ONLY: Final = frozenset({4})
_V6_ONLY: Final = frozenset({6})
_NEITHER: Final[frozenset[int]] = frozenset()

EMPTY_IPS: Final = IPSet._raw((), ())
ALL_IPS: Final = IPSet._raw(((0, _MAX_V4),), ((0, _MAX_V6),))
IPSet.EMPTY = EMPTY_IPS
IPSet.ALL = ALL_IPS


# --------------------------------------------------------------------------------------------
# Protocols and Calico rule ports
# --------------------------------------------------------------------------------------------

PROTOCOL_NUMBERS: Final[dict[str, int]] = {
    "TCP": 6,
    "UDP": 17,
    "ICMP": 1,
    "ICMPV6": 58,
    "SCTP": 132,
    "UDPLITE": 136,
}
"""Calico's protocol names (upper-cased, as lookup keys) to IANA protocol numbers."""

_PROTOCOL_CANONICAL: Final[dict[int, str]] = {
    6: "TCP",
    17: "UDP",
    1: "ICMP",
    58: "ICMPv6",
    132: "SCTP",
    136: "UDPLite",
}

PORTED_PROTOCOLS: Final = frozenset({6, 17, 132})
"""Protocols whose Calico rules may carry ports (TCP, UDP, SCTP), per ``SupportsPorts``."""

_DIGITS_RE: Final = re.compile(r"[0-9]+")
_PORT_RANGE_RE: Final = re.compile(r"([0-9]+):([0-9]+)")
_PORT_NAME_RE: Final = re.compile(r"[a-zA-Z0-9_.-]{1,128}")


def _digits_value(digits: str) -> int:
    # Bound the length first: int() of a huge digit string is slow and errors confusingly.
    stripped = digits.lstrip("0")
    return int(stripped or "0") if len(stripped) <= 10 else 1 << 64


_EXACT_NAMES: Final = {"TCP": 6, "UDP": 17, "SCTP": 132, "tcp": 6, "udp": 17, "sctp": 132}


def parse_protocol(value: str | int) -> int:
    """The IANA number for a Calico rule protocol.

    Accepts the names Calico's ``numorstring.Protocol`` knows, case-insensitively (``tcp``,
    ``ICMPv6``, ``udplite``), or a number 1-255 as an int or a decimal string. Non-ASCII text is
    refused outright so Unicode case folding can never turn a look-alike into a protocol name.
    """
    exact = _EXACT_NAMES.get(value) if type(value) is str else None
    if exact is not None:  # the spellings manifests use, without the general parse
        return exact
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(f"invalid protocol {value!r}: expected a name or a number 1-255")
    if isinstance(value, int):
        number = value
    elif _DIGITS_RE.fullmatch(value):
        number = _digits_value(value)
    else:
        named = PROTOCOL_NUMBERS.get(value.upper()) if value.isascii() else None
        if named is None:
            raise ValueError(
                f"invalid protocol {value!r}: expected one of TCP, UDP, ICMP, ICMPv6, SCTP, "
                "UDPLite or a number 1-255"
            )
        return named
    if not 1 <= number <= 255:
        raise ValueError(f"invalid protocol {value!r}: protocol number must be 1-255")
    return number


def protocol_name(n: int) -> str:
    """Calico's canonical spelling for a protocol number, else the number in decimal."""
    return _PROTOCOL_CANONICAL.get(n, str(n))


def parse_port_item(value: int | str) -> PortSet | str:
    """One entry of a Calico rule's ``ports`` / ``notPorts`` list.

    Mirrors ``numorstring.PortFromString``: an int 0-65535 or all-digits string is one port,
    ``"lo:hi"`` is an inclusive range (``lo <= hi``), and anything else matching
    ``[a-zA-Z0-9_.-]{1,128}`` is a named port, returned as the name ``str`` to be resolved
    against pod container ports later. Note that, as in Calico, ``"80-90"`` is therefore a
    (never-matching) port *name*, not a range.
    """
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(f"invalid port {value!r}: expected an int, a 'lo:hi' range or a port name")
    if isinstance(value, int):
        if not 0 <= value <= MAX_PORT:
            raise ValueError(f"invalid port {value}: port number must be 0-{MAX_PORT}")
        return PortSet._raw(((value, value),))
    if _DIGITS_RE.fullmatch(value):
        port = _digits_value(value)
        if port > MAX_PORT:
            raise ValueError(f"invalid port format ({value}): port number must be 0-{MAX_PORT}")
        return PortSet._raw(((port, port),))
    m = _PORT_RANGE_RE.fullmatch(value)
    if m is not None:
        lo = _digits_value(m.group(1))
        hi = _digits_value(m.group(2))
        if lo > MAX_PORT:
            raise ValueError(
                f"invalid minimum port number in range ({value}): must be 0-{MAX_PORT}"
            )
        if hi > MAX_PORT:
            raise ValueError(
                f"invalid maximum port number in range ({value}): must be 0-{MAX_PORT}"
            )
        if lo > hi:
            raise ValueError(
                f"minimum port number ({lo}) is greater than maximum port number ({hi}) "
                f"in port range ({value})"
            )
        return PortSet._wrap(((lo, hi),))
    if _PORT_NAME_RE.fullmatch(value) is None:
        raise ValueError(
            f"invalid name for named port ({value!r}): must match [a-zA-Z0-9_.-]{{1,128}}"
        )
    return value
