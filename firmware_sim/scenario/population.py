"""What is on each pallet: products, cases (SGTIN-96) and pallets (SSCC-96), apart from movement."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from protocol import epc

# GS1 prefixes of real member organisations (US/Canada, France, Germany, UK, Italy, Spain,
# Netherlands, Switzerland, Japan, China); company prefixes are these plus member digits.
GS1_COUNTRY_PREFIXES: tuple[str, ...] = (
    "003", "008", "030", "037", "040", "042", "050", "080", "084", "087", "076", "045", "069",
)  # fmt: skip
CASE_FILTER = 2  # SGTIN filter value: full case for transport
PALLET_FILTER = 0  # SSCC filter value: all others

IntArray = npt.NDArray[np.int32]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class Product:
    """A trade item: GS1 company prefix and item reference (indicator digit first)."""

    company_prefix: str
    item_reference: str

    @property
    def gtin14(self) -> str:
        """The GTIN-14 of the case, check digit included."""
        body = self.item_reference[0] + self.company_prefix + self.item_reference[1:]
        return body + str(epc.gs1_check_digit(body))


@dataclass(frozen=True)
class Population:
    """Tags and what carries them: each pallet has one SSCC tag and its cases' SGTIN tags."""

    epcs: tuple[str, ...]  # tag index -> EPC hex (upper case)
    pallet_of: IntArray  # tag index -> pallet index
    product_of: IntArray  # tag index -> product index, -1 for a pallet's own SSCC tag
    pallet_tag: IntArray  # pallet index -> tag index of its SSCC
    products: tuple[Product, ...]

    @property
    def n_tags(self) -> int:
        """Number of tags."""
        return len(self.epcs)

    @property
    def n_pallets(self) -> int:
        """Number of pallets."""
        return len(self.pallet_tag)

    @property
    def is_pallet_tag(self) -> BoolArray:
        """Mask of SSCC (pallet) tags."""
        mask: BoolArray = self.product_of < 0
        return mask

    def tags_of(self, pallet: int) -> IntArray:
        """Tag indexes on one pallet, its SSCC first."""
        tags: IntArray = np.flatnonzero(self.pallet_of == pallet).astype(np.int32)
        return tags

    def contents(self, pallet: int) -> dict[str, int]:
        """Case count per GTIN-14 on one pallet (what an ASN line would list)."""
        products = self.product_of[self.pallet_of == pallet]
        ids, counts = np.unique(products[products >= 0], return_counts=True)
        return {self.products[i].gtin14: int(c) for i, c in zip(ids, counts, strict=True)}


def make_company_prefixes(rng: np.random.Generator, n: int) -> tuple[str, ...]:
    """Distinct GS1 company prefixes of 7 to 9 digits under real GS1 country prefixes."""
    found: dict[str, None] = {}
    while len(found) < n:
        country = GS1_COUNTRY_PREFIXES[int(rng.integers(len(GS1_COUNTRY_PREFIXES)))]
        length = int(rng.integers(7, 10))
        member = int(rng.integers(10 ** (length - len(country))))
        found[country + str(member).zfill(length - len(country))] = None
    return tuple(found)


def make_catalogue(
    rng: np.random.Generator, n_products: int, prefixes: tuple[str, ...]
) -> tuple[Product, ...]:
    """Case-level products spread over suppliers; indicator digit 1 (case of consumer units)."""
    products: dict[tuple[str, str], None] = {}
    while len(products) < n_products:
        prefix = prefixes[int(rng.integers(len(prefixes)))]
        digits = 12 - len(prefix)
        item = "1" + str(int(rng.integers(10**digits))).zfill(digits)
        products[(prefix, item)] = None
    return tuple(Product(p, i) for p, i in products)


@dataclass(frozen=True, slots=True)
class PalletSpec:
    """How pallets are built: cases per pallet, product mix per pallet and the shipper."""

    cases_min: int = 20
    cases_max: int = 60
    products_per_pallet_max: int = 4  # most pallets are single-product or lightly mixed
    n_products: int = 40
    n_suppliers: int = 8


def build_population(rng: np.random.Generator, n_pallets: int, spec: PalletSpec) -> Population:
    """Build n_pallets pallets of cases with unique SSCC and SGTIN serials."""
    prefixes = make_company_prefixes(rng, spec.n_suppliers)
    products = make_catalogue(rng, spec.n_products, prefixes)
    n_cases = rng.integers(spec.cases_min, spec.cases_max + 1, size=n_pallets)
    product_of = _assign_products(rng, n_cases, spec)
    pallet_of = np.repeat(np.arange(n_pallets, dtype=np.int32), n_cases + 1)
    starts = np.concatenate(([0], np.cumsum(n_cases + 1)[:-1])).astype(np.int32)
    full_product = np.full(len(pallet_of), -1, dtype=np.int32)
    is_case = np.ones(len(pallet_of), dtype=bool)
    is_case[starts] = False
    full_product[is_case] = product_of
    epcs = _encode_all(rng, full_product, products, prefixes)
    return Population(epcs, pallet_of, full_product, starts, products)


def _assign_products(
    rng: np.random.Generator, n_cases: npt.NDArray[np.int64], spec: PalletSpec
) -> IntArray:
    # Each pallet draws a few products and fills its cases from them.
    out = []
    for count in n_cases:
        k = int(rng.integers(1, spec.products_per_pallet_max + 1))
        chosen = rng.choice(spec.n_products, size=k, replace=False)
        out.append(rng.choice(chosen, size=int(count)))
    return np.concatenate(out).astype(np.int32) if out else np.zeros(0, np.int32)


def _encode_all(
    rng: np.random.Generator,
    product_of: IntArray,
    products: tuple[Product, ...],
    prefixes: tuple[str, ...],
) -> tuple[str, ...]:
    # Serials count up per product from a random base, as a labelling line would print them.
    shipper = prefixes[0]
    sscc_digits = 17 - len(shipper)
    sscc_next = int(rng.integers(10 ** (sscc_digits - 2)))
    serial_next = rng.integers(1, 2**30, size=len(products))
    epcs: list[str] = []
    for product in product_of.tolist():
        if product < 0:
            serial_ref = str(sscc_next).zfill(sscc_digits)
            epcs.append(epc.encode_sscc96(shipper, serial_ref, filter_value=PALLET_FILTER))
            sscc_next += 1
            continue
        item = products[product]
        serial = int(serial_next[product])
        serial_next[product] += 1
        epcs.append(
            epc.encode_sgtin96(
                item.company_prefix, item.item_reference, serial, filter_value=CASE_FILTER
            )
        )
    return tuple(epcs)
