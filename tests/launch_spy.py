"""Shared by the launch-geometry tests (tests/test_launch_i64_*.py): views whose element offsets
pass 2**31 over a tiny real buffer, and a recorder that stands in for a kernel module's ``launch``
so that no kernel runs and those views are never read."""
BIG = 2**31


def huge_2x2(a):
    """(2, 2) view of raw cuda array ``a`` whose second row starts at element 2**31."""
    return a.view_as((2, 2), (BIG, 1))


def small_2x2(a):
    return a.view_as((2, 2), (2, 1))


def record_launches(monkeypatch, *modules):
    """Replace each module's ``launch`` by a recorder; returns the list it fills with
    ``(kernel, args, meta)`` per launch."""
    calls = []

    def fake(kernel, grid, *args, **meta):
        calls.append((kernel, args, meta))

    for m in modules:
        monkeypatch.setattr(m, "launch", fake)
    return calls


def i64s(calls):
    """The 64-bit offset switch (``I64``) of each recorded launch that has one."""
    return [meta["I64"] for _, _, meta in calls if "I64" in meta]
