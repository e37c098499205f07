"""opinions: collects reports and reception opinions and computes final opinions (R21–R25)."""
