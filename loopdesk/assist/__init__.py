"""Portal deflection, agent assist and next-question predictions."""
