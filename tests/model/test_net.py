"""Tests for posture.model.net: table-driven edge cases plus property tests against naive models.

The naive models are Python ``set``s of integers on small universes (placed at both ends of the
range so boundary handling is exercised) and the standard ``ipaddress`` module, whose
``collapse_addresses`` / ``summarize_address_range`` give an independent minimal-CIDR reference.
"""

from __future__ import annotations

import copy
import ipaddress
import pickle
from collections.abc import Iterable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from posture.model.net import (
    PORTED_PROTOCOLS,
    PROTOCOL_NUMBERS,
    Intervals,
    IPSet,
    PortSet,
    ip_to_int,
    parse_port_item,
    parse_protocol,
    protocol_name,
)

MAX_V4 = (1 << 32) - 1
MAX_V6 = (1 << 128) - 1
_TOP_V6 = "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"


def assert_canonical(iv: Intervals, top: int) -> None:
    """Sorted, in range, lo <= hi, and each interval separated from the next by a gap."""
    prev_hi = -2
    for lo, hi in iv:
        assert 0 <= lo <= hi <= top
        assert lo > prev_hi + 1
        prev_hi = hi


def expand(iv: Intervals) -> set[int]:
    return {x for lo, hi in iv for x in range(lo, hi + 1)}


# ============================================================================================
# PortSet: table-driven
# ============================================================================================


@pytest.mark.parametrize(
    ("ports", "text"),
    [
        (PortSet.of(80), "80"),
        (PortSet.of(0), "0"),
        (PortSet.of(65535), "65535"),
        (PortSet.of(80, 81), "80-81"),
        (PortSet.of(81, 80, 80), "80-81"),
        (PortSet.of((1, 5), (6, 10)), "1-10"),
        (PortSet.of((1, 5), (7, 10)), "1-5,7-10"),
        (PortSet.of((1, 10), (3, 4)), "1-10"),
        (PortSet.of(443, 80, (8000, 8080)), "80,443,8000-8080"),
        (PortSet.of((0, 65535)), "*"),
        (PortSet.of((0, 100), (101, 65535)), "*"),
        (PortSet.of((0, 65534)), "0-65534"),
        (PortSet.of((1, 65535)), "1-65535"),
        (PortSet.of(), "-"),
        (PortSet.range(8000, 8080), "8000-8080"),
        (PortSet.range(7, 7), "7"),
        (PortSet.FULL, "*"),
        (PortSet.EMPTY, "-"),
    ],
)
def test_portset_str_and_parse(ports: PortSet, text: str) -> None:
    assert str(ports) == text
    assert PortSet.parse(text) == ports
    assert_canonical(ports.intervals, 65535)


def test_portset_constants() -> None:
    assert PortSet.FULL.intervals == ((0, 65535),)
    assert PortSet.EMPTY.intervals == ()
    assert PortSet.FULL.is_full()
    assert not PortSet.EMPTY.is_full()
    assert PortSet.FULL.size() == 65536
    assert PortSet.EMPTY.size() == 0
    assert bool(PortSet.FULL)
    assert not PortSet.EMPTY
    assert ~PortSet.FULL == PortSet.EMPTY
    assert ~PortSet.EMPTY == PortSet.FULL
    # Results equal to the constants are the constants (no allocation on common outcomes).
    assert PortSet.of((0, 65535)) is PortSet.FULL
    assert PortSet.of(5) - PortSet.of(5) is PortSet.EMPTY
    assert PortSet.of((0, 10)) | PortSet.of((11, 65535)) is PortSet.FULL
    # FULL shortcuts, and the same results from a FULL that is not the shared instance.
    a = PortSet.of(80, (1000, 2000))
    other_full = pickle.loads(pickle.dumps(PortSet.FULL))
    assert other_full is not PortSet.FULL
    for full in (PortSet.FULL, other_full):
        assert full & a == a
        assert a & full == a
        assert a | full == PortSet.FULL
        assert full | a == PortSet.FULL
        assert a - full == PortSet.EMPTY
        assert full - a == ~a
    assert PortSet.FULL & a is a
    assert a | PortSet.FULL is PortSet.FULL
    assert a - PortSet.FULL is PortSet.EMPTY


def test_portset_operations_table() -> None:
    a = PortSet.of((10, 20), (30, 40))
    b = PortSet.of((15, 35))
    assert a | b == PortSet.of((10, 40))
    assert a & b == PortSet.of((15, 20), (30, 35))
    assert a - b == PortSet.of((10, 14), (36, 40))
    assert b - a == PortSet.of((21, 29))
    assert ~a == PortSet.of((0, 9), (21, 29), (41, 65535))
    assert PortSet.of(0) | PortSet.of(1) == PortSet.of((0, 1))
    assert PortSet.of(65534) | PortSet.of(65535) == PortSet.of((65534, 65535))
    assert ~PortSet.of(0) == PortSet.of((1, 65535))
    assert ~PortSet.of(65535) == PortSet.of((0, 65534))
    assert PortSet.FULL - PortSet.of(80) == PortSet.of((0, 79), (81, 65535))
    # One interval of b spanning several of a (the subtraction must not skip it early).
    c = PortSet.of((0, 5), (10, 15), (20, 25))
    assert c - PortSet.of((3, 22)) == PortSet.of((0, 2), (23, 25))
    assert c & PortSet.of((3, 22)) == PortSet.of((3, 5), (10, 15), (20, 22))


def test_portset_membership_size_subset() -> None:
    p = PortSet.of(80, (8000, 8080))
    assert 80 in p
    assert 8000 in p
    assert 8080 in p
    assert 8040 in p
    assert 79 not in p
    assert 8081 not in p
    assert 0 not in p
    assert -1 not in p
    assert 70000 not in p
    assert "80" not in p
    assert True not in PortSet.of(1)
    assert 0 in PortSet.FULL
    assert 65535 in PortSet.FULL
    assert p.size() == 82
    assert PortSet.of(80) <= p
    assert PortSet.of(80).issubset(p)
    assert not PortSet.of(81).issubset(p)
    assert PortSet.EMPTY.issubset(p)
    assert p <= PortSet.FULL
    assert PortSet.of(81).isdisjoint(p)
    assert not PortSet.of((79, 80)).isdisjoint(p)


def test_portset_value_semantics() -> None:
    a = PortSet.of(80, 443)
    b = PortSet.parse("443,80")
    assert a == b
    assert hash(a) == hash(b)
    assert len({a, b, PortSet.of(80)}) == 2
    assert a != PortSet.of(80)
    assert a != a.intervals  # not equal to a bare tuple
    assert pickle.loads(pickle.dumps(a)) == a
    assert copy.copy(a) is a
    assert copy.deepcopy(a) is a
    assert repr(a) == "PortSet.parse('80,443')"
    assert eval(repr(a)) == a
    with pytest.raises(AttributeError):
        a._iv = ()
    with pytest.raises(AttributeError):
        a.extra = 1
    with pytest.raises(AttributeError):
        del a._iv
    with pytest.raises(TypeError):
        _ = a | 80  # type: ignore[operator]
    with pytest.raises(TypeError):
        _ = a & {80}  # type: ignore[operator]


@pytest.mark.parametrize(
    ("items", "error"),
    [
        ((-1,), ValueError),
        ((65536,), ValueError),
        (((5, 4),), ValueError),
        (((0, 65536),), ValueError),
        (((-1, 5),), ValueError),
        (((1, 2, 3),), ValueError),
        ((True,), TypeError),
        (("80",), TypeError),
        ((80.0,), TypeError),
        ((("1", 2),), TypeError),
    ],
)
def test_portset_of_rejects(items: tuple[object, ...], error: type[Exception]) -> None:
    with pytest.raises(error):
        PortSet.of(*items)  # type: ignore[arg-type]


def test_portset_range_rejects() -> None:
    with pytest.raises(ValueError, match="greater than"):
        PortSet.range(10, 9)
    with pytest.raises(ValueError, match="out of range"):
        PortSet.range(0, 65536)


@pytest.mark.parametrize(
    "text",
    ["", " ", "80,", ",80", "abc", "80-", "-80", "1-2-3", "70000", "0-70000", "90-80", "*,80",
     "80:90", "0x50", "８０", "--", "**"],
)  # fmt: skip
def test_portset_parse_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="invalid port set"):
        PortSet.parse(text)


def test_portset_parse_lenient_forms() -> None:
    assert PortSet.parse(" 80 , 443 ") == PortSet.of(80, 443)
    assert PortSet.parse("8050-8080,8000-8060") == PortSet.of((8000, 8080))
    assert PortSet.parse("5-5,6,7-9") == PortSet.of((5, 9))
    assert PortSet.parse("0-65535") is PortSet.FULL
    assert PortSet.parse("007") == PortSet.of(7)


def test_portset_large_inputs_are_interval_based() -> None:
    # 32768 disjoint single ports: complement and union must be interval merges, not port loops.
    evens = PortSet.of(*range(0, 65536, 2))
    odds = ~evens
    assert len(odds.intervals) == 32768
    assert odds.intervals[0] == (1, 1)
    assert evens | odds is PortSet.FULL
    assert evens & odds is PortSet.EMPTY
    assert (PortSet.FULL - evens) == odds
    assert evens.size() == 32768


# ============================================================================================
# PortSet: properties against a set-of-ints model
# ============================================================================================

# Two small windows, one at each end of the port range, so that 0 and 65535 are hit often.
_WINDOWS = (0, 65495)


@st.composite
def small_portsets(draw: st.DrawFn) -> tuple[PortSet, set[int]]:
    raw = draw(
        st.lists(
            st.tuples(st.sampled_from(_WINDOWS), st.integers(0, 40), st.integers(0, 40)),
            max_size=8,
        )
    )
    pairs = [(base + min(a, b), base + max(a, b)) for base, a, b in raw]
    ref = {x for lo, hi in pairs for x in range(lo, hi + 1)}
    singles = draw(st.lists(st.sampled_from(_WINDOWS).flatmap(
        lambda base: st.integers(base, base + 40)), max_size=4))  # fmt: skip
    ref |= set(singles)
    return PortSet.of(*pairs, *singles), ref


_PORT_PROBES = st.sampled_from(_WINDOWS).flatmap(lambda base: st.integers(base - 1, base + 41))


@given(small_portsets())
def test_prop_portset_matches_model(ps: tuple[PortSet, set[int]]) -> None:
    s, ref = ps
    assert_canonical(s.intervals, 65535)
    assert expand(s.intervals) == ref
    assert s.size() == len(ref)
    assert bool(s) == bool(ref)
    assert PortSet.parse(str(s)) == s
    assert eval(repr(s)) == s


@given(small_portsets(), small_portsets())
def test_prop_portset_binary_ops(a: tuple[PortSet, set[int]], b: tuple[PortSet, set[int]]) -> None:
    (sa, ra), (sb, rb) = a, b
    for result, expected in ((sa | sb, ra | rb), (sa & sb, ra & rb), (sa - sb, ra - rb)):
        assert_canonical(result.intervals, 65535)
        assert expand(result.intervals) == expected
    assert (sa <= sb) == (ra <= rb)
    assert sa.isdisjoint(sb) == ra.isdisjoint(rb)
    assert (sa == sb) == (ra == rb)
    if sa == sb:
        assert hash(sa) == hash(sb)


@given(small_portsets(), st.lists(_PORT_PROBES, max_size=20))
def test_prop_portset_complement_and_membership(
    a: tuple[PortSet, set[int]], probes: list[int]
) -> None:
    s, ref = a
    comp = ~s
    assert_canonical(comp.intervals, 65535)
    assert comp.size() == 65536 - len(ref)
    assert ~comp == s
    assert s | comp == PortSet.FULL
    assert not (s & comp)
    for x in probes:
        assert (x in s) == (x in ref)
        if 0 <= x <= 65535:
            assert (x in comp) == (x not in ref)


_ANY_INTERVAL = st.tuples(st.integers(0, 65535), st.integers(0, 65535)).map(
    lambda t: (min(t), max(t))
)
_ANY_PORTSET = st.lists(_ANY_INTERVAL, max_size=10).map(lambda pairs: PortSet.of(*pairs))


@given(_ANY_PORTSET, _ANY_PORTSET, _ANY_PORTSET, st.lists(st.integers(0, 65535), max_size=20))
def test_prop_portset_laws_full_range(
    a: PortSet, b: PortSet, c: PortSet, probes: list[int]
) -> None:
    assert a | b == b | a
    assert a & b == b & a
    assert (a | b) | c == a | (b | c)
    assert a & (b | c) == (a & b) | (a & c)
    assert ~(a | b) == ~a & ~b
    assert ~(a & b) == ~a | ~b
    assert a - b == a & ~b
    assert (a - b) | (a & b) == a
    assert not ((a - b) & b)
    assert (a | b).size() == a.size() + b.size() - (a & b).size()
    assert a | a == a
    assert a & a == a
    assert not (a - a)
    for x in probes:
        assert (x in (a | b)) == (x in a or x in b)
        assert (x in (a & b)) == (x in a and x in b)
        assert (x in (a - b)) == (x in a and x not in b)
    assert PortSet.parse(str(a)) == a


# ============================================================================================
# IP addresses: table-driven
# ============================================================================================


def v4(text: str) -> int:
    return int(ipaddress.IPv4Address(text))


def v6(text: str) -> int:
    return int(ipaddress.IPv6Address(text))


@pytest.mark.parametrize(
    ("cidrs", "expected"),
    [
        (["10.0.0.0/24"], ["10.0.0.0/24"]),
        (["10.0.0.7/24"], ["10.0.0.0/24"]),  # host bits masked, as Calico does
        (["10.0.0.1"], ["10.0.0.1/32"]),
        (["::1"], ["::1/128"]),
        (["2001:db8::1/32"], ["2001:db8::/32"]),
        (["10.0.0.0/25", "10.0.0.128/25"], ["10.0.0.0/24"]),
        (["10.0.0.0/24", "10.0.0.5"], ["10.0.0.0/24"]),
        (["10.0.1.0/24", "10.0.0.0/24"], ["10.0.0.0/23"]),
        (["10.0.1.0/24", "10.0.2.0/24"], ["10.0.1.0/24", "10.0.2.0/24"]),
        (["0.0.0.0/0"], ["0.0.0.0/0"]),
        (["::/0"], ["::/0"]),
        (["::/0", "0.0.0.0/0"], ["0.0.0.0/0", "::/0"]),
        (["2001:db8::/32", "10.0.0.0/8"], ["10.0.0.0/8", "2001:db8::/32"]),
        (["255.255.255.255"], ["255.255.255.255/32"]),
        (["0.0.0.0"], ["0.0.0.0/32"]),
        ([_TOP_V6], [f"{_TOP_V6}/128"]),
        (["::ffff:10.0.0.1"], ["::ffff:a00:1/128"]),  # v4-mapped stays IPv6
        ([], []),
    ],
)  # fmt: skip
def test_ipset_from_cidrs_to_cidrs(cidrs: list[str], expected: list[str]) -> None:
    s = IPSet.from_cidrs(cidrs)
    assert s.to_cidrs() == expected
    assert str(s) == ",".join(expected)
    assert IPSet.from_cidrs(s.to_cidrs()) == s
    assert_canonical(s.v4_intervals, MAX_V4)
    assert_canonical(s.v6_intervals, MAX_V6)


def test_ipset_minimal_cidrs_known_cases() -> None:
    assert IPSet(v4=[(v4("10.0.0.0"), v4("10.0.0.255"))]).to_cidrs() == ["10.0.0.0/24"]
    assert IPSet(v4=[(v4("10.0.0.1"), v4("10.0.0.254"))]).to_cidrs() == [
        "10.0.0.1/32",
        "10.0.0.2/31",
        "10.0.0.4/30",
        "10.0.0.8/29",
        "10.0.0.16/28",
        "10.0.0.32/27",
        "10.0.0.64/26",
        "10.0.0.128/26",
        "10.0.0.192/27",
        "10.0.0.224/28",
        "10.0.0.240/29",
        "10.0.0.248/30",
        "10.0.0.252/31",
        "10.0.0.254/32",
    ]
    assert IPSet(v4=[(0, MAX_V4)], v6=[(0, MAX_V6)]) == IPSet.ALL
    # Everything but one address: exactly one block per prefix length.
    all6_but_one = IPSet.from_cidrs(["::/0"]) - IPSet.from_cidrs(["2001:db8::1"])
    assert len(all6_but_one.to_cidrs()) == 128
    all4_but_10 = IPSet.from_cidrs(["0.0.0.0/0"]) - IPSet.from_cidrs(["10.0.0.0/8"])
    assert all4_but_10.to_cidrs() == [
        "0.0.0.0/5",
        "8.0.0.0/7",
        "11.0.0.0/8",
        "12.0.0.0/6",
        "16.0.0.0/4",
        "32.0.0.0/3",
        "64.0.0.0/2",
        "128.0.0.0/1",
    ]


def test_ipset_constants_and_families() -> None:
    assert IPSet.ALL.to_cidrs() == ["0.0.0.0/0", "::/0"]
    assert str(IPSet.ALL) == "0.0.0.0/0,::/0"
    assert IPSet.EMPTY.to_cidrs() == []
    assert str(IPSet.EMPTY) == ""
    assert not IPSet.EMPTY
    assert IPSet.ALL
    assert ~IPSet.ALL == IPSet.EMPTY
    assert ~IPSet.EMPTY == IPSet.ALL
    assert IPSet.from_cidrs([]) is IPSet.EMPTY
    assert IPSet.ALL.families() == {4, 6}
    assert IPSet.EMPTY.families() == frozenset()
    assert IPSet.from_cidrs(["::/0"]).families() == {6}
    assert IPSet.from_cidrs(["10.0.0.0/8"]).families() == {4}
    assert IPSet.ALL.v4_intervals == ((0, MAX_V4),)
    assert IPSet.ALL.v6_intervals == ((0, MAX_V6),)


def test_ipset_families_are_separate() -> None:
    v4_all = IPSet.from_cidrs(["0.0.0.0/0"])
    v6_all = IPSet.from_cidrs(["::/0"])
    assert "::1" not in v4_all
    assert "::ffff:10.0.0.1" not in v4_all
    assert "10.0.0.1" not in v6_all
    assert not (v4_all & v6_all)
    assert v4_all | v6_all == IPSet.ALL
    assert IPSet.ALL - v4_all == v6_all
    assert ~v4_all == v6_all
    # The integer 1 is a different address in each family.
    s = IPSet.from_cidrs(["0.0.0.1"])
    assert s.contains(1, 4)
    assert not s.contains(1, 6)


def test_ipset_operations_table() -> None:
    a = IPSet.from_cidrs(["10.0.0.0/16", "2001:db8::/64"])
    b = IPSet.from_cidrs(["10.0.1.0/24", "192.168.0.0/16", "2001:db8::/48"])
    assert (a | b).to_cidrs() == ["10.0.0.0/16", "192.168.0.0/16", "2001:db8::/48"]
    assert (a & b).to_cidrs() == ["10.0.1.0/24", "2001:db8::/64"]
    assert (a - b).to_cidrs() == [
        "10.0.0.0/24",
        "10.0.2.0/23",
        "10.0.4.0/22",
        "10.0.8.0/21",
        "10.0.16.0/20",
        "10.0.32.0/19",
        "10.0.64.0/18",
        "10.0.128.0/17",
    ]
    assert (b - a).to_cidrs()[0] == "192.168.0.0/16"
    assert a <= a | b
    assert (a & b).issubset(a)
    assert not a.issubset(b)
    assert a.isdisjoint(IPSet.from_cidrs(["11.0.0.0/8"]))
    assert not a.isdisjoint(b)


def test_ipset_membership() -> None:
    s = IPSet.from_cidrs(["10.0.0.0/24", "2001:db8::/64"])
    assert "10.0.0.0" in s
    assert "10.0.0.255" in s
    assert "10.0.1.0" not in s
    assert "9.255.255.255" not in s
    assert "2001:db8::ffff" in s
    assert "2001:db8:0:1::" not in s
    assert 167772160 not in s  # ints need a family: use contains()
    assert s.contains("10.0.0.1")
    assert s.contains("10.0.0.1", 4)
    assert s.contains(v4("10.0.0.1"), 4)
    assert not s.contains(v4("10.0.1.1"), 4)
    assert s.contains(v6("2001:db8::1"), 6)
    with pytest.raises(ValueError, match="family"):
        s.contains(v4("10.0.0.1"))
    with pytest.raises(ValueError, match="family"):
        s.contains(1, 5)
    with pytest.raises(ValueError, match="not IPv6"):
        s.contains("10.0.0.1", 6)
    with pytest.raises(ValueError, match="not-an-ip"):
        _ = "not-an-ip" in s


def test_ipset_value_semantics() -> None:
    a = IPSet.from_cidrs(["10.0.0.0/24", "::1"])
    b = IPSet.from_cidrs(["::1", "10.0.0.128/25", "10.0.0.0/25"])
    assert a == b
    assert hash(a) == hash(b)
    assert len({a, b, IPSet.EMPTY}) == 2
    assert a != IPSet.ALL
    assert a != "10.0.0.0/24,::1/128"
    assert pickle.loads(pickle.dumps(a)) == a
    assert copy.copy(a) is a
    assert copy.deepcopy(a) is a
    assert eval(repr(a)) == a
    with pytest.raises(AttributeError):
        a._v4 = ()
    with pytest.raises(TypeError):
        _ = a | PortSet.FULL  # type: ignore[operator]


@pytest.mark.parametrize(
    "bad",
    ["", "abc", "10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0/8", "10.0.0.0/8/8", "10.0.0.0/-1",
     "10.0.0.0/ 8", " 10.0.0.0/8", "10.0.0.0/8 ", "fe80::1%eth0", "fe80::1%eth0/64",
     "10.0.0.0/255.0.0.0", "10.0.0.0/0.255.255.255", "010.0.0.1", "10.0.0.0/0x8", "10.0.0.0/٨",
     "1.2.3.4.5", "10.0.0.256", "/8", "2001:db8:::1/64", "10.0.0.0/0008"],
)  # fmt: skip
def test_ipset_from_cidrs_rejects_garbage(bad: str) -> None:
    with pytest.raises(ValueError, match="invalid"):
        IPSet.from_cidrs(["10.0.0.0/8", bad])


def test_ipset_constructor_guards() -> None:
    with pytest.raises(TypeError, match="iterable"):
        IPSet.from_cidrs("10.0.0.0/8")
    with pytest.raises(TypeError):
        IPSet.from_cidrs([167772160])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="IPv4"):
        IPSet(v4=[(0, MAX_V4 + 1)])
    with pytest.raises(ValueError, match="IPv6"):
        IPSet(v6=[(5, 4)])
    with pytest.raises(TypeError):
        IPSet(v4=[(0, True)])


def test_ip_to_int() -> None:
    assert ip_to_int("10.0.0.1") == (4, 167772161)
    assert ip_to_int("0.0.0.0") == (4, 0)
    assert ip_to_int("255.255.255.255") == (4, MAX_V4)
    assert ip_to_int("::") == (6, 0)
    assert ip_to_int("::1") == (6, 1)
    assert ip_to_int("2001:DB8::1") == (6, v6("2001:db8::1"))
    assert ip_to_int("::ffff:10.0.0.1") == (6, 0xFFFF0A000001)
    for bad in ("", "10.0.0.0/8", "fe80::1%eth0", "10.0.0", "hello", "010.0.0.1"):
        with pytest.raises(ValueError, match="invalid IP address"):
            ip_to_int(bad)
    with pytest.raises(TypeError):
        ip_to_int(167772161)  # type: ignore[arg-type]


# ============================================================================================
# IP addresses: properties against ipaddress and a set-of-ints model
# ============================================================================================

_SMALL_V4_BASE = v4("10.0.0.0")  # universe 10.0.0.0/24
_SMALL_V6_BASE = v6("2001:db8::")  # universe 2001:db8::/120


@st.composite
def small_ipsets(draw: st.DrawFn) -> tuple[IPSet, set[tuple[int, int]], list[str]]:
    """An IPSet built from CIDRs inside two 256-address universes, with its exact model."""
    cidrs: list[str] = []
    ref: set[tuple[int, int]] = set()
    for family, base, bits in ((4, _SMALL_V4_BASE, 32), (6, _SMALL_V6_BASE, 128)):
        for offset, plen in draw(
            st.lists(st.tuples(st.integers(0, 255), st.integers(bits - 8, bits)), max_size=5)
        ):
            net = ipaddress.ip_network((base + offset, plen), strict=False)
            # Write some with host bits set to exercise masking.
            cidrs.append(f"{ipaddress.ip_address(base + offset)}/{plen}")
            ref |= {(family, int(net.network_address) + i) for i in range(net.num_addresses)}
    return IPSet.from_cidrs(cidrs), ref, cidrs


def ipset_model(s: IPSet) -> set[tuple[int, int]]:
    return {(4, x) for x in expand(s.v4_intervals)} | {(6, x) for x in expand(s.v6_intervals)}


def collapsed(cidrs: Iterable[str]) -> list[str]:
    """Reference minimal CIDR list: ipaddress.collapse_addresses per family, v4 first."""
    nets = [ipaddress.ip_network(c, strict=False) for c in cidrs]
    v4_nets = [n for n in nets if isinstance(n, ipaddress.IPv4Network)]
    v6_nets = [n for n in nets if isinstance(n, ipaddress.IPv6Network)]
    return [str(n) for n in ipaddress.collapse_addresses(v4_nets)] + [
        str(n) for n in ipaddress.collapse_addresses(v6_nets)
    ]


@given(small_ipsets())
def test_prop_ipset_matches_model(x: tuple[IPSet, set[tuple[int, int]], list[str]]) -> None:
    s, ref, cidrs = x
    assert ipset_model(s) == ref
    assert s.to_cidrs() == collapsed(cidrs)
    assert IPSet.from_cidrs(s.to_cidrs()) == s
    assert_canonical(s.v4_intervals, MAX_V4)
    assert_canonical(s.v6_intervals, MAX_V6)
    assert s.families() == {fam for fam, _ in ref}


@given(small_ipsets(), small_ipsets())
def test_prop_ipset_binary_ops(
    a: tuple[IPSet, set[tuple[int, int]], list[str]],
    b: tuple[IPSet, set[tuple[int, int]], list[str]],
) -> None:
    (sa, ra, _), (sb, rb, _) = a, b
    for result, expected in ((sa | sb, ra | rb), (sa & sb, ra & rb), (sa - sb, ra - rb)):
        assert ipset_model(result) == expected
        assert IPSet.from_cidrs(result.to_cidrs()) == result
        assert result.to_cidrs() == collapsed(result.to_cidrs())  # already minimal
    assert (sa <= sb) == (ra <= rb)
    assert sa.isdisjoint(sb) == ra.isdisjoint(rb)
    assert (sa == sb) == (ra == rb)


@st.composite
def any_cidrs(draw: st.DrawFn) -> list[str]:
    """CIDRs anywhere in either family, any prefix length, host bits possibly set."""
    out: list[str] = []
    for _ in range(draw(st.integers(0, 6))):
        if draw(st.booleans()):
            addr = str(ipaddress.IPv4Address(draw(st.integers(0, MAX_V4))))
            plen = draw(st.integers(0, 32))
        else:
            addr = str(ipaddress.IPv6Address(draw(st.integers(0, MAX_V6))))
            plen = draw(st.integers(0, 128))
        out.append(f"{addr}/{plen}")
    return out


def model_contains(cidrs: list[str], addr: str) -> bool:
    ip = ipaddress.ip_address(addr)
    return any(ip in ipaddress.ip_network(c, strict=False) for c in cidrs)


_ANY_ADDR = st.one_of(
    st.integers(0, MAX_V4).map(lambda n: str(ipaddress.IPv4Address(n))),
    st.integers(0, MAX_V6).map(lambda n: str(ipaddress.IPv6Address(n))),
)


@given(any_cidrs(), any_cidrs(), st.lists(_ANY_ADDR, max_size=10))
def test_prop_ipset_full_space(ca: list[str], cb: list[str], probes: list[str]) -> None:
    a, b = IPSet.from_cidrs(ca), IPSet.from_cidrs(cb)
    assert a.to_cidrs() == collapsed(ca)
    assert (a | b).to_cidrs() == collapsed(ca + cb)
    assert IPSet.from_cidrs(a.to_cidrs()) == a
    for result in (a & b, a - b, ~a):
        assert IPSet.from_cidrs(result.to_cidrs()) == result
        assert result.to_cidrs() == collapsed(result.to_cidrs())
        assert_canonical(result.v4_intervals, MAX_V4)
        assert_canonical(result.v6_intervals, MAX_V6)
    assert (a - b) | (a & b) == a
    assert not ((a - b) & b)
    assert ~(a | b) == ~a & ~b
    assert a - b == a & ~b
    assert ~~a == a
    # Probe the edges of a's own blocks as well as random addresses.
    edge_probes = [c.split("/")[0] for c in a.to_cidrs()[:4]]
    for addr in probes + edge_probes:
        in_a, in_b = model_contains(ca, addr), model_contains(cb, addr)
        assert (addr in a) == in_a
        assert (addr in (a | b)) == (in_a or in_b)
        assert (addr in (a & b)) == (in_a and in_b)
        assert (addr in (a - b)) == (in_a and not in_b)
        assert (addr in ~a) == (not in_a)
        fam, value = ip_to_int(addr)
        assert a.contains(value, fam) == in_a


@given(st.integers(0, MAX_V4), st.integers(0, MAX_V4))
def test_prop_v4_range_minimal(x: int, y: int) -> None:
    lo, hi = min(x, y), max(x, y)
    expected = ipaddress.summarize_address_range(
        ipaddress.IPv4Address(lo), ipaddress.IPv4Address(hi)
    )
    assert IPSet(v4=[(lo, hi)]).to_cidrs() == [str(n) for n in expected]


@given(st.integers(0, MAX_V6), st.integers(0, MAX_V6))
def test_prop_v6_range_minimal(x: int, y: int) -> None:
    lo, hi = min(x, y), max(x, y)
    expected = ipaddress.summarize_address_range(
        ipaddress.IPv6Address(lo), ipaddress.IPv6Address(hi)
    )
    assert IPSet(v6=[(lo, hi)]).to_cidrs() == [str(n) for n in expected]


@given(_ANY_ADDR)
def test_prop_ip_to_int(addr: str) -> None:
    ip = ipaddress.ip_address(addr)
    assert ip_to_int(addr) == (ip.version, int(ip))


# ============================================================================================
# Protocols
# ============================================================================================


@pytest.mark.parametrize(
    ("value", "number"),
    [
        ("TCP", 6),
        ("tcp", 6),
        ("Tcp", 6),
        ("UDP", 17),
        ("udp", 17),
        ("ICMP", 1),
        ("icmp", 1),
        ("ICMPv6", 58),
        ("icmpv6", 58),
        ("ICMPV6", 58),
        ("SCTP", 132),
        ("sctp", 132),
        ("UDPLite", 136),
        ("udplite", 136),
        ("UDPLITE", 136),
        (1, 1),
        (6, 6),
        (255, 255),
        ("1", 1),
        ("47", 47),
        ("255", 255),
        ("006", 6),
    ],
)
def test_parse_protocol(value: str | int, number: int) -> None:
    assert parse_protocol(value) == number


@pytest.mark.parametrize(
    "value",
    [0, 256, -6, "0", "256", "", "any", "Any", "foo", "TCP ", " tcp", "tc p", "-6", "+6", "0x6",
     "6.0", "٦", "ſctp", "99999999999999999999999", True, False, None, 6.0, b"tcp"],
)  # fmt: skip
def test_parse_protocol_rejects(value: object) -> None:
    with pytest.raises(ValueError, match="invalid protocol"):
        parse_protocol(value)  # type: ignore[arg-type]


def test_protocol_names_and_constants() -> None:
    assert PROTOCOL_NUMBERS == {
        "TCP": 6,
        "UDP": 17,
        "ICMP": 1,
        "ICMPV6": 58,
        "SCTP": 132,
        "UDPLITE": 136,
    }
    assert [protocol_name(n) for n in (6, 17, 1, 58, 132, 136)] == [
        "TCP",
        "UDP",
        "ICMP",
        "ICMPv6",
        "SCTP",
        "UDPLite",
    ]
    assert protocol_name(47) == "47"
    assert frozenset({6, 17, 132}) == PORTED_PROTOCOLS
    assert parse_protocol("ICMPv6") not in PORTED_PROTOCOLS
    for n in range(1, 256):
        assert parse_protocol(protocol_name(n)) == n


# ============================================================================================
# Calico rule port items
# ============================================================================================


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, PortSet.of(0)),
        (80, PortSet.of(80)),
        (65535, PortSet.of(65535)),
        ("0", PortSet.of(0)),
        ("80", PortSet.of(80)),
        ("080", PortSet.of(80)),
        ("65535", PortSet.of(65535)),
        ("6040:6050", PortSet.range(6040, 6050)),
        ("80:80", PortSet.of(80)),
        ("0:65535", PortSet.FULL),
        ("0010:0020", PortSet.range(10, 20)),
        ("http", "http"),
        ("my-port.name_1", "my-port.name_1"),
        ("80-90", "80-90"),  # as in Calico: a dash range is a *name*, not a range
        ("1e3", "1e3"),
        ("a" * 128, "a" * 128),
    ],
)
def test_parse_port_item(value: int | str, expected: PortSet | str) -> None:
    result = parse_port_item(value)
    assert type(result) is type(expected)
    assert result == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (65536, "port number must be 0-65535"),
        (-1, "port number must be 0-65535"),
        ("65536", "invalid port format"),
        ("99999999999999999999999999", "invalid port format"),
        ("6050:6040", "minimum port number (6050) is greater than maximum port number (6040)"),
        ("70000:70001", "invalid minimum port number in range"),
        ("1:70000", "invalid maximum port number in range"),
        ("", "invalid name for named port"),
        ("a" * 129, "invalid name for named port"),
        ("http port", "invalid name for named port"),
        ("80:", "invalid name for named port"),
        (":80", "invalid name for named port"),
        ("1:2:3", "invalid name for named port"),
        ("http:80", "invalid name for named port"),
        ("٨٠", "invalid name for named port"),
        ("päss", "invalid name for named port"),
        ("http\n", "invalid name for named port"),
        (True, "invalid port"),
        (None, "invalid port"),
        (80.0, "invalid port"),
    ],
)
def test_parse_port_item_rejects(value: object, message: str) -> None:
    with pytest.raises(ValueError, match=r"invalid|greater") as info:
        parse_port_item(value)  # type: ignore[arg-type]
    assert message in str(info.value)


@given(st.integers(0, 65535), st.integers(0, 65535))
def test_prop_parse_port_item_numeric(x: int, y: int) -> None:
    assert parse_port_item(x) == PortSet.of(x)
    assert parse_port_item(str(x)) == PortSet.of(x)
    if x <= y:
        assert parse_port_item(f"{x}:{y}") == PortSet.range(x, y)
    else:
        with pytest.raises(ValueError, match="greater than"):
            parse_port_item(f"{x}:{y}")


@given(st.text(max_size=12))
def test_prop_parse_port_item_total(text: str) -> None:
    """Every string is either a port set, a valid name, or a ValueError; never anything else."""
    try:
        result = parse_port_item(text)
    except ValueError:
        return
    if isinstance(result, str):
        assert result == text
        assert all(c.isascii() and (c.isalnum() or c in "_.-") for c in text)
        assert not text.isdigit()
    else:
        assert result
