"""Master data and expectations: items, partners, places, orders, ASNs, shipments."""
