"""Goods of the day: suppliers, customers, items and the labels printed on cases and pallets."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from firmware_sim.scenario.day_plan import Item, Partner
from firmware_sim.scenario.population import (
    CASE_FILTER,
    PALLET_FILTER,
    Product,
    make_company_prefixes,
)
from protocol import epc

SUPPLIER_NAMES = (
    "Northwind Foods", "Alder & Finch", "Blue Harbour Trading", "Kestrel Home", "Marlow Paper",
    "Orchard Valley", "Pinecrest Beverages", "Quayside Chemicals", "Redfern Tools", "Solent Pet",
    "Tamar Textiles", "Upland Dairy",
)  # fmt: skip
CUSTOMER_NAMES = (
    "Corner Market Ltd", "FreshWay Stores", "Hillside Co-op", "Metro Grocers", "Riverside Retail",
    "Summit Supermarkets", "Town & Country Shops", "Valley Wholesale",
)  # fmt: skip
GOODS = (
    "Coffee beans", "Olive oil", "Paper towels", "Laundry detergent", "Breakfast cereal",
    "Sparkling water", "Dog food", "Tomato passata", "Dish soap", "Basmati rice", "Orange juice",
    "Toilet tissue", "Peanut butter", "Cat litter", "Green tea", "Pasta fusilli", "Hand soap",
    "Canned tuna", "Oat milk", "Trash bags",
)  # fmt: skip
PACKS = ("6 x 1 l", "12 x 500 g", "24 x 330 ml", "4 x 2.5 kg", "8 rolls x 6", "10 x 1 kg")


@dataclass(frozen=True)
class Catalogue:
    """Items with their suppliers, the customers, and the site's own GS1 company prefix."""

    products: tuple[Product, ...]
    supplier_of: tuple[int, ...]  # product index -> supplier index
    suppliers: tuple[Partner, ...]
    customers: tuple[Partner, ...]
    items: tuple[Item, ...]
    own_prefix: str  # labels the site's own (outbound and storage) pallets

    def products_of(self, supplier: int) -> list[int]:
        """Product indexes a supplier delivers."""
        return [p for p, s in enumerate(self.supplier_of) if s == supplier]

    def gtin(self, product: int) -> str:
        """GTIN-14 of a product."""
        return self.products[product].gtin14


def build_catalogue(
    rng: np.random.Generator, n_items: int, n_suppliers: int, n_customers: int
) -> Catalogue:
    """Suppliers with company prefixes, items spread evenly over them, customers."""
    prefixes = make_company_prefixes(rng, n_suppliers + 1)
    supplier_of = tuple(i % n_suppliers for i in range(n_items))
    products = _products(rng, [prefixes[s] for s in supplier_of])
    suppliers = tuple(
        Partner(f"SUP-{s + 1:02d}", _name(SUPPLIER_NAMES, s), "supplier", prefixes[s])
        for s in range(n_suppliers)
    )
    customers = tuple(
        Partner(f"CUS-{c + 1:02d}", _name(CUSTOMER_NAMES, c), "customer")
        for c in range(n_customers)
    )
    items = tuple(_item(rng, i, p) for i, p in enumerate(products))
    return Catalogue(products, supplier_of, suppliers, customers, items, prefixes[-1])


def _name(names: tuple[str, ...], i: int) -> str:
    # Beyond the list, names repeat with a branch number.
    base = names[i % len(names)]
    return base if i < len(names) else f"{base} {i // len(names) + 1}"


def _products(rng: np.random.Generator, prefixes: list[str]) -> tuple[Product, ...]:
    found: dict[tuple[str, str], None] = {}
    for prefix in prefixes:
        digits = 12 - len(prefix)
        while True:
            key = (prefix, "1" + str(int(rng.integers(10**digits))).zfill(digits))
            if key not in found:
                found[key] = None
                break
    return tuple(Product(p, i) for p, i in found)


def _item(rng: np.random.Generator, index: int, product: Product) -> Item:
    good = GOODS[int(rng.integers(len(GOODS)))]
    pack = PACKS[int(rng.integers(len(PACKS)))]
    cost = float(rng.uniform(4.0, 180.0))
    return Item(f"SKU-{index + 1:04d}", product.gtin14, f"{good}, {pack}", "EA", f"{cost:.2f}")


class Labeller:
    """Serials as labelling lines print them: counting up per item and per pallet labeller."""

    def __init__(self, rng: np.random.Generator, catalogue: Catalogue) -> None:
        self._rng = rng
        self._catalogue = catalogue
        self._serial = [int(s) for s in rng.integers(1, 2**30, size=len(catalogue.products))]
        self._sscc: dict[str, int] = {}
        self.product_of: dict[str, int] = {}  # case EPC -> product index

    def cases(self, product: int, n: int) -> list[str]:
        """SGTIN-96 EPCs of n new cases of one product."""
        item = self._catalogue.products[product]
        out = []
        for _ in range(n):
            tag = epc.encode_sgtin96(
                item.company_prefix, item.item_reference, self._serial[product], CASE_FILTER
            )
            self._serial[product] += 1
            self.product_of[tag] = product
            out.append(tag)
        return out

    def pallet(self, prefix: str) -> str:
        """SSCC-96 EPC of a new pallet labelled under a company prefix."""
        digits = 17 - len(prefix)
        if prefix not in self._sscc:
            self._sscc[prefix] = int(self._rng.integers(10 ** (digits - 2)))
        serial = self._sscc[prefix]
        self._sscc[prefix] += 1
        return epc.encode_sscc96(prefix, str(serial).zfill(digits), filter_value=PALLET_FILTER)

    def gtin(self, case: str) -> str:
        """GTIN-14 of a case this labeller printed."""
        return self._catalogue.gtin(self.product_of[case])
