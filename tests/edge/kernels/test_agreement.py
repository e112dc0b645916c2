"""The jitted kernel and the pure-Python reference decide exactly the same, however split."""

from __future__ import annotations

import dataclasses

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from edge.kernels.events import EVENT_DTYPE, REPORT_DTYPE, Events, canonical
from edge.kernels.kernel import Kernel
from edge.kernels.params import KernelParams
from edge.kernels.reference import ReferenceKernel
from tests.edge.kernels.synth import FAST, ZONE_DOOR, ZONE_SIDE, Reads, random_stream, run

EXAMPLES = settings(max_examples=60, deadline=None)


@st.composite
def params(draw: st.DrawFn) -> KernelParams:
    """Rule variations around FAST (zone_slots stays 2: one compiled kernel)."""
    cycle = draw(st.sampled_from([50_000, 100_000, 250_000]))
    return dataclasses.replace(
        FAST,
        cycle_us=cycle,
        depart_us=draw(st.integers(2, 6)) * cycle,
        hold_us=draw(st.sampled_from([0, cycle, 3 * cycle])),
        quiet_us=draw(st.integers(20_000, 2 * cycle)),
        max_pass_us=draw(st.sampled_from([300_000, 600_000, 5_000_000])),
        hysteresis_db=draw(st.sampled_from([0.0, 3.0, 6.0])),
        margin_db=draw(st.sampled_from([0.0, 3.0])),
        min_reads=draw(st.integers(1, 4)),
        report=draw(st.integers(0, 2)),
    )


@st.composite
def splits(draw: st.DrawFn, reads: Reads) -> tuple[list[int], list[int]]:
    """Batch boundaries, and for each a watermark no later than the next batch's first read."""
    n = len(reads)
    cuts = sorted(set(draw(st.lists(st.integers(1, max(n - 1, 1)), max_size=8)))) if n > 1 else []
    marks = []
    for cut in cuts:
        low, high = int(reads.t[cut - 1]), int(reads.t[cut])
        # Disordered streams may step back in time at a cut: keep the range non-empty.
        marks.append(draw(st.integers(min(low, high) - 200_000, high)))
    return cuts, marks


def outputs(engine: Kernel | ReferenceKernel) -> tuple[Events, Events, list[int]]:
    """Events, reports and counters of an engine."""
    return canonical(engine.take_events()), engine.take_reports(), list(engine.counters)


def _same(a: Events, b: Events) -> None:
    assert a.dtype == b.dtype
    assert len(a) == len(b)
    for name in a.dtype.names or ():
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)


@EXAMPLES
@given(data=st.data(), p=params(), seed=st.integers(0, 2**31), n=st.integers(0, 400))
def test_kernel_matches_reference(data: st.DataObject, p: KernelParams, seed: int, n: int) -> None:
    reads = random_stream(seed, n, n_tags=data.draw(st.integers(1, 6)))
    cuts, marks = data.draw(splits(reads))
    kernel = Kernel(p, ZONE_DOOR, ZONE_SIDE, tags=1, visits=1)  # grow from the smallest
    reference = ReferenceKernel(p, ZONE_DOOR, ZONE_SIDE)
    run(kernel, reads, cuts, marks)
    run(reference, reads, cuts, marks)
    ev_k, rep_k, cnt_k = outputs(kernel)
    ev_r, rep_r, cnt_r = outputs(reference)
    _same(ev_k, ev_r)
    _same(rep_k, rep_r)
    assert cnt_k == cnt_r


@EXAMPLES
@given(data=st.data(), p=params(), seed=st.integers(0, 2**31), n=st.integers(1, 400))
def test_results_do_not_depend_on_batches(
    data: st.DataObject, p: KernelParams, seed: int, n: int
) -> None:
    reads = random_stream(seed, n, n_tags=data.draw(st.integers(1, 6)))
    cuts, marks = data.draw(splits(reads))
    end = int(reads.t[-1]) + data.draw(st.integers(0, 2_000_000))
    whole, split = (Kernel(p, ZONE_DOOR, ZONE_SIDE) for _ in range(2))
    run(whole, reads, [], [], end)
    run(split, reads, cuts, marks, end)
    ev_w, rep_w, cnt_w = outputs(whole)
    ev_s, rep_s, cnt_s = outputs(split)
    _same(ev_w, ev_s)
    _same(rep_w, rep_s)
    assert cnt_w == cnt_s
    assert cnt_w[1] == 0  # nothing was late


def test_empty_outputs_have_the_record_layouts() -> None:
    kernel = Kernel(FAST, ZONE_DOOR, ZONE_SIDE)
    kernel.flush()
    assert kernel.take_events().dtype == EVENT_DTYPE
    assert kernel.take_reports().dtype == REPORT_DTYPE


@EXAMPLES
@given(data=st.data(), p=params(), seed=st.integers(0, 2**31), n=st.integers(2, 300))
def test_late_and_disordered_reads_agree(
    data: st.DataObject, p: KernelParams, seed: int, n: int
) -> None:
    reads = random_stream(seed, n, n_tags=3)
    swaps = data.draw(st.lists(st.integers(0, n - 2), max_size=n // 4))
    for i in swaps:  # reads out of time order: the later of a swapped pair comes late
        for column in (reads.t, reads.zone, reads.tag, reads.rssi, reads.count):
            column[[i, i + 1]] = column[[i + 1, i]]
    cuts, marks = data.draw(splits(reads))
    kernel = Kernel(p, ZONE_DOOR, ZONE_SIDE)
    reference = ReferenceKernel(p, ZONE_DOOR, ZONE_SIDE)
    run(kernel, reads, cuts, marks)
    run(reference, reads, cuts, marks)
    ev_k, rep_k, cnt_k = outputs(kernel)
    ev_r, rep_r, cnt_r = outputs(reference)
    _same(ev_k, ev_r)
    _same(rep_k, rep_r)
    assert cnt_k == cnt_r
    assert cnt_k[0] + cnt_k[1] == n  # every read taken or counted late
