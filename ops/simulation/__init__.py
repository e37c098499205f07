"""The campaign simulator behind ``make demo`` (``passpro simulate``): a whole campaign, played as portals would."""
