"""In-transit tracking (pure): geofences, crossings with dwell, trips, ETA, alarms, reports.

`geo` (fixes, geodesy, local metric frame), `fences` (shapes, STRtree index, path spans),
`crossings` (enter/exit with dwell), `route` (progress along a planned route), `eta`,
`trip` (a shipment's trip in event time), `report` (legs, stops, gaps), `export` (GeoJSON, GPX).
"""
