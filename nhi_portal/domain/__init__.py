"""Pure domain helpers shared by every app (no Django imports here)."""
