"""Importers for the people files: ISA annexes 1-3, the resident register, the NHI ledger."""
