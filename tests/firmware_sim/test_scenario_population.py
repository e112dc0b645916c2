"""Pallet and case population: real GS1 encodings, unique serials, contents per pallet."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from firmware_sim.scenario.population import (
    CASE_FILTER,
    GS1_COUNTRY_PREFIXES,
    PalletSpec,
    build_population,
    make_company_prefixes,
)
from protocol.epc import decode_epc, gs1_check_digit, gtin_of


def test_pallets_carry_one_sscc_then_their_cases() -> None:
    pop = build_population(np.random.default_rng(4), 30, PalletSpec(cases_min=5, cases_max=9))
    assert pop.n_pallets == 30
    assert len(set(pop.epcs)) == pop.n_tags
    for pallet in range(pop.n_pallets):
        tags = pop.tags_of(pallet)
        assert tags[0] == pop.pallet_tag[pallet]
        assert 6 <= len(tags) <= 10
        sscc = decode_epc(pop.epcs[tags[0]])
        assert sscc.scheme == "sscc-96"
        for tag in tags[1:].tolist():
            case = decode_epc(pop.epcs[tag])
            assert case.scheme == "sgtin-96"
            assert case.filter_value == CASE_FILTER
    assert int(pop.is_pallet_tag.sum()) == 30


def test_contents_list_every_case_by_gtin() -> None:
    pop = build_population(np.random.default_rng(5), 12, PalletSpec())
    for pallet in range(pop.n_pallets):
        contents = pop.contents(pallet)
        cases = [pop.epcs[t] for t in pop.tags_of(pallet)[1:].tolist()]
        assert sum(contents.values()) == len(cases)
        assert set(contents) == {gtin_of(e) for e in cases}
        assert len(contents) <= PalletSpec().products_per_pallet_max
    for product in pop.products:
        body = product.gtin14[:-1]
        assert product.gtin14[-1] == str(gs1_check_digit(body))


@settings(max_examples=25, deadline=None)
@given(st.integers(min_value=0, max_value=2**32 - 1), st.integers(min_value=1, max_value=30))
def test_company_prefixes_are_distinct_and_plausible(seed: int, n: int) -> None:
    prefixes = make_company_prefixes(np.random.default_rng(seed), n)
    assert len(set(prefixes)) == n
    for prefix in prefixes:
        assert 7 <= len(prefix) <= 9
        assert prefix.isdigit()
        assert prefix[:3] in GS1_COUNTRY_PREFIXES


def test_same_seed_same_population() -> None:
    a = build_population(np.random.default_rng(9), 5, PalletSpec())
    b = build_population(np.random.default_rng(9), 5, PalletSpec())
    assert a.epcs == b.epcs
    assert np.array_equal(a.pallet_of, b.pallet_of)
