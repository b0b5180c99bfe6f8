"""GREET 2024 battery materials as the shipped inventories book them, for the tests' hand
calculations: one transcription of the source rows, read in full (Argonne R&D GREET 2024 via
Busch et al., repository pmbusch/USA-EV-Lithium-GHG, Inputs/LIB_upstream_GHG.csv
@984aa08388948bdd81b20b55dd9bff35a6dca08a, rows CAR / 300mile; inventories/research-notes.md
O1, P1).

Each ``*_G_PER_KG`` is the row's gases in g per kg of battery under IPCC 2021 GWP100 (CO2
fossil 1, CH4 29.8, N2O 273, CF4 7380, C2F6 12400, land-use CO2 1; the net biogenic uptake is a
removal, not characterised); ``*_WH_PER_KG`` the row's specific energy; ``GREET_*`` their ratio,
kg CO2e per kWh of pack capacity (42.5048 LFP, 50.7895 NMC811, 51.3194 NMC622).
"""

LFP_G_PER_KG = 4960 + 34.562 * 29.8 + 0.1887 * 273 + 0.003487 * 7380 + 0.0005438 * 12400 + 0.002917
LFP_WH_PER_KG = 142.9
NMC811_G_PER_KG = (
    8548.8 + 46.6846 * 29.8 + 0.2551 * 273 + 0.0033755 * 7380 + 0.0005264 * 12400 + 0.0024093
)
NMC811_WH_PER_KG = 197.7
NMC622_G_PER_KG = (
    8178.8 + 44.3182 * 29.8 + 0.2416 * 273 + 0.0033588 * 7380 + 0.0005238 * 12400 + 0.0048295
)
NMC622_WH_PER_KG = 187.0

GREET_LFP = LFP_G_PER_KG / LFP_WH_PER_KG
GREET_NMC811 = NMC811_G_PER_KG / NMC811_WH_PER_KG
GREET_NMC622 = NMC622_G_PER_KG / NMC622_WH_PER_KG
