"""Qt only: windows, widgets and item models, thin adapters over the core."""
