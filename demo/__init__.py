"""Deterministic synthetic demo data: resident register, NHI ledger, ISA files and ground truth.
Pure Python (no Django); see `generator.generate`."""

from demo.generator import GenerationSummary, generate

__all__ = ("GenerationSummary", "generate")
