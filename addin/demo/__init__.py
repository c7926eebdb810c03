"""Demo data: the sample workbooks and the demo run (never imported by the product)."""
