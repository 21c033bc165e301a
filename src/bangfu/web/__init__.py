"""The web shell: base layout, navigation by the region tree, region and pairing pages."""
